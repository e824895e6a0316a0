/**
 * The realtime suite (realtime.test.ts) in cluster mode: every test runs unchanged against two nodes on Redis + PostgreSQL
 * behind a round-robin TCP balancer, so its REST calls and WebSockets land on either node.
 */
import { describe, expect, it, vi } from "vitest";
import { startTestServer } from "./helpers/test-server.js";

vi.mock("./helpers/test-server.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("./helpers/test-server.js")>();
  const { startClusterTestServer } = await import("./cluster-helpers.js");
  return { ...original, startTestServer: startClusterTestServer };
});

await import("./realtime.test.js");

describe("parametrisation", () => {
  it("runs the suite on a two-node cluster", async () => {
    const server = await startTestServer();
    try {
      expect(server.runtime.mode).toBe("cluster");
      expect(server.url).not.toContain(
        String(server.app.server.address() && (server.app.server.address() as { port: number }).port),
      );
    } finally {
      await server.close();
    }
  });
});
