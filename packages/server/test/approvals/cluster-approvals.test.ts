import { createBoardClient } from "@agentboard/client";
import { closedAfterEach, clusterEachTest, eventually, openSocket, WsClient } from "@agentboard/test-support";
import { describe, expect, it } from "vitest";
import { verifyAuditChains } from "../../src/approvals/audit-verify.js";
import { KyselyApprovalStore } from "../../src/approvals/kysely-approval-store.js";

const t = clusterEachTest({
  agent: { kind: "agent", name: "deployer" },
  alice: { name: "alice" },
});
const sockets = closedAfterEach<WsClient>();

const request = (extra: Record<string, unknown> = {}) => ({
  type: "deploy",
  title: "Deploy web to production",
  action: { tool: "deploy", args: { env: "prod" } },
  confidence: 40,
  ...extra,
});

async function create(extra: Record<string, unknown> = {}, node = 0) {
  const result = await t.cluster.on(t.agent, node).request("POST", "/api/approvals", request(extra));
  expect(result.status).toBe(201);
  return result.body;
}

const trail = async (id: string) => (await t.alice.request("GET", `/api/approvals/${id}/events`)).body;

/** The agent's long-poll wait on node 0 (its answer, pending), once node 0 holds it. */
async function waitingOnNode0(approvalId: string) {
  const waiting = t.cluster
    .on(t.agent, 0)
    .request("GET", `/api/approvals/${approvalId}/wait?timeoutMs=20000`);
  await eventually(
    () => t.cluster.nodes[0]!.runtime.approvals.waiters.size,
    (n) => n === 1,
  );
  return { answer: waiting };
}

describe("approvals across nodes", () => {
  it("wakes an agent long-polling on node 1 when a human approves on node 2", async () => {
    const approval = await create();
    const started = performance.now();
    const { answer: waiting } = await waitingOnNode0(approval.id);
    const decided = await t.cluster.on(t.alice, 1).request("POST", `/api/approvals/${approval.id}/approve`, {
      reason: "ship it",
    });
    expect(decided.status).toBe(200);
    const woken = await waiting;
    expect(woken.body).toMatchObject({ id: approval.id, status: "approved", reason: "ship it", version: 2 });
    // Woken by the event, far before the wait's own timeout.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(t.cluster.nodes[0]!.runtime.approvals.waiters.size).toBe(0);
  });

  it("resumes an SDK wait() on node 1 with a cancellation made on node 2, and tells node 1's sockets", async () => {
    const board = createBoardClient({ url: t.cluster.nodes[0]!.url, token: t.agent.token });
    const handle = await board.approvals.request(request());
    const ticket = (await t.cluster.on(t.alice, 0).request("POST", "/api/realtime/ticket")).body.ticket;
    const inbox = new WsClient(
      await openSocket(`${t.cluster.nodes[0]!.url.replace("http", "ws")}/api/realtime?ticket=${ticket}`),
    );
    sockets.push(inbox);
    const id = inbox.send({ type: "subscribe_approvals" });
    await inbox.next("subscribed_approvals", (f) => f.id === id);

    const waited = handle.wait({ timeoutMs: 20_000 }).then(
      () => "resolved",
      (error: Error) => error.name,
    );
    const admin = await t.cluster.caller({ name: "root", role: "admin", node: 1 });
    const cancelled = await admin.request("DELETE", `/api/approvals/${handle.id}`, { reason: "not needed" });
    expect(cancelled.status).toBe(200);
    expect(await waited).toBe("ApprovalCancelledError");
    const event = await inbox.next("approval", (f) => f.event === "cancelled");
    expect(event.approval).toMatchObject({ id: handle.id, status: "cancelled", reason: "not needed" });
  });

  it("lets exactly one of two deciders on different nodes win, with one audit row", async () => {
    const bob = await t.cluster.caller({ name: "bob" });
    const approvals = await Promise.all(Array.from({ length: 10 }, () => create()));
    await Promise.all(
      approvals.map(async (approval, i) => {
        const [a, b] = await Promise.all([
          t.cluster.on(t.alice, i % 2).request("POST", `/api/approvals/${approval.id}/approve`),
          t.cluster.on(bob, (i + 1) % 2).request("POST", `/api/approvals/${approval.id}/reject`),
        ]);
        expect([a.status, b.status].sort()).toEqual([200, 409]);
        const events = await trail(approval.id);
        expect(events.map((e: { event: string }) => e.event)).toEqual(["created", "decided"]);
      }),
    );
    const store = new KyselyApprovalStore(t.cluster.nodes[0]!.runtime.db);
    const report = await verifyAuditChains(store, [t.alice.principal.workspaceId]);
    expect(report).toMatchObject({ ok: true });
  });

  it("expires an approval exactly once with both nodes armed: one transition, one audit row", async () => {
    // Created on alternating nodes: each node arms its own approvals and, from the bus, the other's.
    const approvals = await Promise.all(
      Array.from({ length: 8 }, (_, i) => create({ expiresInSec: 1 }, i % 2)),
    );
    for (const node of t.cluster.nodes) {
      await eventually(
        () => node.runtime.approvals.expiry.size,
        (n) => n === approvals.length,
      );
    }
    for (const approval of approvals) {
      const waited = await t.cluster
        .on(t.agent, 1)
        .request("GET", `/api/approvals/${approval.id}/wait?timeoutMs=10000`);
      expect(waited.body).toMatchObject({ status: "expired", version: 2 });
    }
    // Both nodes' timers fired (they are gone), and only one transition per approval was written.
    for (const node of t.cluster.nodes) {
      await eventually(
        () => node.runtime.approvals.expiry.size,
        (n) => n === 0,
      );
    }
    for (const approval of approvals) {
      const events = await trail(approval.id);
      expect(events.map((e: { event: string; actor: string }) => `${e.event}:${e.actor}`)).toEqual([
        `created:agent:${t.agent.principal.id}`,
        "expired:system:expiry",
      ]);
    }
    const report = await verifyAuditChains(new KyselyApprovalStore(t.cluster.nodes[1]!.runtime.db), [
      t.agent.principal.workspaceId,
    ]);
    expect(report).toMatchObject({ ok: true });
  });

  it("wakes a waiter whose decision event was lost, once the bus resyncs", async () => {
    const approval = await create();
    const { answer: waiting } = await waitingOnNode0(approval.id);
    // A decision committed with nobody hearing of it (its bus frame lost while node 1's subscriber was away).
    const store = new KyselyApprovalStore(t.cluster.nodes[1]!.runtime.db);
    const result = await store.transition({
      workspaceId: approval.workspaceId,
      id: approval.id,
      expectedVersion: 1,
      to: "approved",
      decidedBy: { kind: "user", id: t.alice.principal.id },
      audit: { at: new Date().toISOString(), actor: `user:${t.alice.principal.id}`, event: "decided" },
    });
    expect(result.ok).toBe(true);
    expect(t.cluster.nodes[0]!.runtime.approvals.waiters.size).toBe(1);
    t.cluster.nodes[1]!.runtime.bus.requestResync();
    expect((await waiting).body).toMatchObject({ status: "approved" });
  });
});
