import type { TestServer } from "@agentboard/test-support";
import { describe, expect, it, vi } from "vitest";

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

/**
 * Re-runs a single-node suite unchanged on a two-node cluster: every `startTestServer` the suite imports becomes
 * the cluster one (two nodes on Redis + PostgreSQL behind a round-robin TCP balancer), then the parametrisation
 * check proves the swap took effect. `vi.doMock` (not the hoisted `vi.mock`) so that the one copy of this set-up
 * can live here; it holds for every import that follows it, which is why the suite is imported through `importSuite`.
 */
export async function runSuiteOnCluster(importSuite: () => Promise<unknown>): Promise<void> {
  vi.doMock("@agentboard/test-support", async (importOriginal) => {
    const original = await importOriginal<typeof import("@agentboard/test-support")>();
    return { ...original, startTestServer: original.startClusterTestServer };
  });
  await importSuite();
  const { startTestServer } = await import("@agentboard/test-support");
  describeClusterParametrisation(startTestServer);
}
