/**
 * The directory suite (directory.test.ts) in cluster mode: members from PostgreSQL, dashboards listed by
 * SCAN over Redis, through two nodes behind a round-robin TCP balancer.
 */
import { vi } from "vitest";
import { describeClusterParametrisation } from "./cluster-parametrisation.js";
import { startTestServer } from "./helpers/test-server.js";

vi.mock("./helpers/test-server.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("./helpers/test-server.js")>();
  const { startClusterTestServer } = await import("./cluster-helpers.js");
  return { ...original, startTestServer: startClusterTestServer };
});

await import("./directory.test.js");

describeClusterParametrisation(startTestServer);
