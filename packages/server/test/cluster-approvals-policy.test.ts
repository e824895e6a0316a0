/**
 * The approvals policy suite (approvals-policy.test.ts) in cluster mode: every test runs unchanged against two nodes on Redis + PostgreSQL
 * behind a round-robin TCP balancer, so its REST calls and WebSockets land on either node.
 */
import { vi } from "vitest";
import { describeClusterParametrisation } from "./cluster-parametrisation.js";
import { startTestServer } from "./helpers/test-server.js";

vi.mock("./helpers/test-server.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("./helpers/test-server.js")>();
  const { startClusterTestServer } = await import("./cluster-helpers.js");
  return { ...original, startTestServer: startClusterTestServer };
});

await import("./approvals-policy.test.js");

describeClusterParametrisation(startTestServer);
