import { describe, expect, it } from "vitest";
import { startClusterTestServer } from "./cluster.js";
import { startTestServer, type TestServer } from "./test-server.js";

/** How the product runs: one embedded node, or a cluster of nodes sharing Redis and PostgreSQL. */
export interface TestMode {
  name: "embedded" | "cluster";
  /**
   * A server to test against in this mode. Embedded: one node on a fresh SQLite file. Cluster: two nodes on a
   * fresh Redis prefix and PostgreSQL schema behind a round-robin TCP balancer, so a test's REST calls and
   * WebSockets land on either node (tickets, fan-out and waits cross nodes).
   */
  startTestServer(env?: Record<string, string>): Promise<TestServer>;
}

export const EMBEDDED: TestMode = { name: "embedded", startTestServer: (env) => startTestServer(env) };
export const CLUSTER: TestMode = { name: "cluster", startTestServer: startClusterTestServer };

/**
 * Runs `suite` once per mode, as `<name> (embedded)` and `<name> (cluster)`: the suite takes its server from
 * `mode.startTestServer`, so the same tests hold on one node and across two. Each run ends with a check that
 * it really ran in its mode (a cluster run that quietly used one node would prove nothing about the cluster).
 */
export function describeEachMode(name: string, suite: (mode: TestMode) => void): void {
  for (const mode of [EMBEDDED, CLUSTER]) {
    describe(`${name} (${mode.name})`, () => {
      suite(mode);
      it(`runs on ${mode.name === "cluster" ? "two nodes behind the balancer" : "one embedded node"}`, async () => {
        const server = await mode.startTestServer();
        try {
          expect(server.runtime.mode).toBe(mode.name);
          const address = server.app.server.address();
          const nodePort = typeof address === "object" && address ? address.port : undefined;
          // The cluster's URL is the balancer's; the embedded server is reached directly.
          if (mode.name === "cluster") expect(Number(new URL(server.url).port)).not.toBe(nodePort);
          else expect(Number(new URL(server.url).port)).toBe(nodePort);
        } finally {
          await server.close();
        }
      });
    });
  }
}
