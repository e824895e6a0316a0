import { readFileSync } from "node:fs";
import { type Cluster, startCluster } from "@agentboard/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE, fixtureFiles, stdio, textOf, waitForServers } from "./gateway-helpers.js";

/**
 * Cluster mode: each node runs its own upstream processes; approvals and the gated-call records are shared
 * (PostgreSQL), decisions travel over Redis.
 */
describe("the MCP gate across two nodes", () => {
  const { counter } = fixtureFiles("agentboard-cluster-gate-");
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await startCluster({
      nodes: 2,
      env: {
        // Both nodes' children append to one file: it counts executions cluster-wide.
        AGENTBOARD_MCP_SERVERS: JSON.stringify({
          fixture: stdio(FIXTURE, [], { env: { FIXTURE_COUNTER_FILE: counter } }),
        }),
      },
    });
    await Promise.all(
      cluster.nodes.map((node) => waitForServers(node.app, (s) => s.get("fixture")?.status === "connected")),
    );
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
  });

  it("runs the call held on node A once a human approves it on node B, once for retries on both nodes", async () => {
    const agent = await cluster.caller({ kind: "agent", name: "cluster-gate-agent", node: 0 });
    const human = cluster.on(await cluster.caller({ name: "cluster-gate-human", role: "member" }), 1);
    const body = { arguments: { by: 3 }, idempotencyKey: "cluster-1", waitMs: 30_000 };

    const held = agent.request("POST", "/api/mcp/tools/fixture__increment/call", body);
    // The same call retried on node B while it waits: same approval.
    const onB = cluster.on(agent, 1);
    const first = await onB.request("POST", "/api/mcp/tools/fixture__increment/call", { ...body, waitMs: 0 });
    expect(first.status).toBe(202);
    expect(first.body.approval).toMatchObject({ type: "mcp.tool_call", status: "pending" });

    const retryOnB = onB.request("POST", "/api/mcp/tools/fixture__increment/call", body);
    const decided = await human.request("POST", `/api/approvals/${first.body.approval.id}/approve`, {});
    expect(decided.status).toBe(200);

    const [a, b] = await Promise.all([held, retryOnB]);
    for (const answer of [a, b]) {
      expect(answer.status).toBe(200);
      expect(answer.body.approval.id).toBe(first.body.approval.id);
      expect(textOf(answer.body.result)).toBe("count is 1");
    }
    const late = await onB.request("POST", "/api/mcp/tools/fixture__increment/call", body);
    expect(textOf(late.body.result)).toBe("count is 1");
    expect(readFileSync(counter, "utf8").split("\n").filter(Boolean)).toHaveLength(1);
  });
});
