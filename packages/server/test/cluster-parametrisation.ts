import { describe, expect, it } from "vitest";
import type { TestServer } from "./helpers/test-server.js";

/**
 * The check every re-run suite ends with: the `startTestServer` it imported really is the cluster one (the
 * vi.mock took effect), so its tests ran against two nodes behind the balancer, not one embedded node.
 */
export function describeClusterParametrisation(start: () => Promise<TestServer>): void {
  describe("parametrisation", () => {
    it("runs the suite on a two-node cluster", async () => {
      const server = await start();
      try {
        expect(server.runtime.mode).toBe("cluster");
        const address = server.app.server.address();
        const nodePort = typeof address === "object" && address ? address.port : undefined;
        expect(Number(new URL(server.url).port)).not.toBe(nodePort);
      } finally {
        await server.close();
      }
    });
  });
}
