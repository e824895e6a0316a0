import type { Approval } from "@agentboard/protocol";
import {
  type Caller,
  type Cluster,
  createApproval,
  deployRequest,
  eventually,
  startCluster,
  startTestServer,
  type TestServer,
} from "@agentboard/test-support";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ApprovalService } from "../../src/approvals/approval-service.js";

/**
 * Every approval event reaches a node's waiters through one path, the bus, in both modes: once per event,
 * whether it was committed on this node or (cluster mode) on another. Each event of an approval carries a
 * new version, so deliveries are counted per (approval, version).
 */
function countDeliveries(approvals: ApprovalService): Map<string, number> {
  const counts = new Map<string, number>();
  const notify = approvals.waiters.notify.bind(approvals.waiters);
  vi.spyOn(approvals.waiters, "notify").mockImplementation((approval: Approval) => {
    const key = `${approval.id}@${approval.version}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    notify(approval);
  });
  return counts;
}

const waitFor = (caller: Caller, id: string) =>
  caller.request("GET", `/api/approvals/${id}/wait?timeoutMs=20000`);

describe("approval events reach waiters exactly once", () => {
  let server: TestServer | undefined;
  let cluster: Cluster | undefined;
  afterEach(async () => {
    await server?.close();
    await cluster?.close();
    server = cluster = undefined;
  });

  it("embedded: the created and decided events each reach the waiters once", async () => {
    server = await startTestServer();
    const agent = await server.caller({ kind: "agent", name: "deployer" });
    const alice = await server.caller({ name: "alice" });
    const { approvals } = server.runtime;
    const delivered = countDeliveries(approvals);

    const approval = await createApproval(agent, deployRequest());
    const waiting = waitFor(agent, approval.id);
    await eventually(
      () => approvals.waiters.size,
      (n) => n === 1,
    );
    expect((await alice.request("POST", `/api/approvals/${approval.id}/approve`, {})).status).toBe(200);
    expect((await waiting).body).toMatchObject({ id: approval.id, status: "approved" });

    // The in-process bus delivers synchronously: everything was delivered before the approve answered.
    expect(Object.fromEntries(delivered)).toEqual({ [`${approval.id}@1`]: 1, [`${approval.id}@2`]: 1 });
  });

  it("cluster (two nodes): local and remote events each reach every node's waiters once", async () => {
    cluster = await startCluster({ nodes: 2 });
    const agent = await cluster.caller({ kind: "agent", name: "deployer" });
    const alice = await cluster.caller({ name: "alice" });
    const nodes = cluster.nodes.map((node) => node.runtime.approvals);
    const delivered = nodes.map(countDeliveries);

    // Created on node 0 (local there, remote on node 1); waited for on both; decided on node 1.
    const approval = await createApproval(cluster.on(agent, 0), deployRequest());
    const waits = [waitFor(cluster.on(agent, 0), approval.id), waitFor(cluster.on(agent, 1), approval.id)];
    for (const approvals of nodes) {
      await eventually(
        () => approvals.waiters.size,
        (n) => n === 1,
      );
    }
    const decided = await cluster.on(alice, 1).request("POST", `/api/approvals/${approval.id}/approve`, {});
    expect(decided.status).toBe(200);
    for (const wait of waits)
      expect((await wait).body).toMatchObject({ id: approval.id, status: "approved" });

    // A later event from each node, once heard everywhere, proves every earlier frame of that node arrived
    // (one pub/sub channel: a node's frames arrive in its publish order), so no late repeat can follow.
    const markers = [
      await createApproval(cluster.on(agent, 0), deployRequest({ title: "marker 0" })),
      await createApproval(cluster.on(agent, 1), deployRequest({ title: "marker 1" })),
    ];
    for (const counts of delivered) {
      await eventually(
        () => markers.every((marker) => counts.has(`${marker.id}@1`)),
        (heard) => heard,
      );
    }

    for (const counts of delivered) {
      expect(Object.fromEntries(counts)).toEqual({
        [`${approval.id}@1`]: 1,
        [`${approval.id}@2`]: 1,
        [`${markers[0].id}@1`]: 1,
        [`${markers[1].id}@1`]: 1,
      });
    }
  });
});
