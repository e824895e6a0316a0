import type { Approval, CreateApprovalBody } from "@agentboard/protocol";
import {
  activeTimeouts,
  castEachTest,
  createApproval,
  deployRequest,
  eventually,
  expectApiError,
} from "@agentboard/test-support";
import { describe, expect, it } from "vitest";
import { WaiterRegistry } from "../../src/approvals/waiter-registry.js";

const pendingApproval = (id = "apr_1"): Approval => ({
  id,
  workspaceId: "ws",
  type: "deploy",
  title: "t",
  action: {},
  argsHash: "0".repeat(64),
  priority: "normal",
  route: "full",
  status: "pending",
  requestedBy: { kind: "agent", id: "agt" },
  createdAt: "2026-01-01T00:00:00.000Z",
  version: 1,
});
const decided = (status: Approval["status"], id = "apr_1"): Approval => ({
  ...pendingApproval(id),
  status,
  version: 2,
});

/** A read whose answer the test releases when it wants: opens the window between subscribe and read. */
function gatedRead() {
  let release!: (value: Approval | null) => void;
  const calls: string[] = [];
  const read = (_ws: string, id: string) => {
    calls.push(id);
    return new Promise<Approval | null>((resolve) => {
      release = resolve;
    });
  };
  return { read, calls, release: (value: Approval | null) => release(value) };
}

describe("WaiterRegistry", () => {
  it("a decision delivered between subscribing and reading is not lost (the read still says pending)", async () => {
    const gate = gatedRead();
    const registry = new WaiterRegistry(gate.read);
    const waiting = registry.wait("ws", "apr_1", { timeoutMs: 10_000 });
    expect(gate.calls).toEqual(["apr_1"]);
    registry.notify(decided("approved"));
    gate.release(pendingApproval()); // the stale read arrives after the decision
    await expect(waiting).resolves.toMatchObject({ status: "approved" });
    expect(registry.size).toBe(0);
  });

  it("a decision committed before the wait is seen by the read", async () => {
    const registry = new WaiterRegistry(async () => decided("rejected"));
    await expect(registry.wait("ws", "apr_1", { timeoutMs: 10_000 })).resolves.toMatchObject({
      status: "rejected",
    });
    expect(registry.size).toBe(0);
  });

  it("ignores pending events and other approvals' events", async () => {
    const registry = new WaiterRegistry(async () => pendingApproval());
    const waiting = registry.wait("ws", "apr_1", { timeoutMs: 10_000 });
    await Promise.resolve();
    registry.notify(pendingApproval());
    registry.notify(decided("approved", "apr_2"));
    registry.notify({ ...decided("approved"), workspaceId: "other" });
    expect(registry.size).toBe(1);
    registry.notify(decided("cancelled"));
    await expect(waiting).resolves.toMatchObject({ status: "cancelled" });
  });

  it("times out with the pending approval, even when the timeout beats the first read", async () => {
    const registry = new WaiterRegistry(async () => pendingApproval());
    await expect(registry.wait("ws", "apr_1", { timeoutMs: 10 })).resolves.toMatchObject({
      status: "pending",
    });
    const gate = gatedRead();
    const slow = new WaiterRegistry(gate.read);
    const waiting = slow.wait("ws", "apr_1", { timeoutMs: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(slow.size).toBe(1);
    gate.release(pendingApproval());
    await expect(waiting).resolves.toMatchObject({ status: "pending" });
    expect(slow.size).toBe(0);
  });

  it("rejects with the signal's reason on abort, with not_found, and with a failed read; nothing stays", async () => {
    const registry = new WaiterRegistry(async (_ws, id) => (id === "missing" ? null : pendingApproval(id)));
    const controller = new AbortController();
    const waiting = registry.wait("ws", "apr_1", { timeoutMs: 10_000, signal: controller.signal });
    controller.abort(new Error("agent stopped"));
    await expect(waiting).rejects.toThrow("agent stopped");
    await expect(registry.wait("ws", "apr_1", { timeoutMs: 10, signal: controller.signal })).rejects.toThrow(
      "agent stopped",
    );
    await expect(registry.wait("ws", "missing", { timeoutMs: 10_000 })).rejects.toMatchObject({
      code: "not_found",
    });
    const broken = new WaiterRegistry(async () => {
      throw new Error("disk gone");
    });
    await expect(broken.wait("ws", "apr_1", { timeoutMs: 10_000 })).rejects.toThrow("disk gone");
    expect(registry.size + broken.size).toBe(0);
  });

  it("releaseAll answers open waits with what they know and refuses new ones", async () => {
    const registry = new WaiterRegistry(async () => pendingApproval());
    const waiting = registry.wait("ws", "apr_1", { timeoutMs: 60_000 });
    await Promise.resolve();
    await Promise.resolve();
    registry.releaseAll();
    await expect(waiting).resolves.toMatchObject({ status: "pending" });
    await expect(registry.wait("ws", "apr_1", { timeoutMs: 10 })).rejects.toMatchObject({
      code: "unavailable",
    });
    expect(registry.size).toBe(0);
  });
});

describe("GET /api/approvals/:id/wait on a real server", () => {
  const cast = castEachTest();

  it("answers the moment a decision commits", async () => {
    const approval = await createApproval(cast.agent);
    const started = Date.now();
    const waiting = cast.agent.request("GET", `/api/approvals/${approval.id}/wait?timeoutMs=20000`);
    await eventually(
      () => cast.server.runtime.approvals.waiters.size,
      (n) => n === 1,
    );
    await cast.alice.request("POST", `/api/approvals/${approval.id}/approve`);
    const answer = await waiting;
    expect(answer).toMatchObject({ status: 200, body: { id: approval.id, status: "approved" } });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(cast.server.runtime.approvals.waiters.size).toBe(0);
  });

  it("answers at once for an approval decided before the wait, and with the pending one at the timeout", async () => {
    const done = await createApproval(cast.agent);
    await cast.alice.request("POST", `/api/approvals/${done.id}/reject`, { reason: "no" });
    const immediate = await cast.agent.request("GET", `/api/approvals/${done.id}/wait?timeoutMs=60000`);
    expect(immediate.body).toMatchObject({ status: "rejected", reason: "no" });

    const open = await createApproval(cast.agent);
    const started = Date.now();
    const timedOut = await cast.agent.request("GET", `/api/approvals/${open.id}/wait?timeoutMs=200`);
    expect(timedOut).toMatchObject({ status: 200, body: { id: open.id, status: "pending" } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expectApiError(
      await cast.agent.request("GET", "/api/approvals/apr_nope/wait?timeoutMs=10"),
      404,
      "not_found",
    );
    expectApiError(
      await cast.agent.request("GET", `/api/approvals/${open.id}/wait?timeoutMs=-5`),
      422,
      "invalid",
    );
  });

  it("ends the wait (waiter, timer, listener) when the client disconnects", async () => {
    const approval = await createApproval(cast.agent);
    const before = activeTimeouts();
    const controllers = Array.from({ length: 20 }, () => new AbortController());
    const requests = controllers.map((controller) =>
      fetch(`${cast.server.url}/api/approvals/${approval.id}/wait?timeoutMs=60000`, {
        headers: { authorization: `Bearer ${cast.agent.token}` },
        signal: controller.signal,
      }).catch((error: unknown) => error),
    );
    await eventually(
      () => cast.server.runtime.approvals.waiters.size,
      (n) => n === 20,
    );
    for (const controller of controllers) controller.abort();
    await Promise.all(requests);
    await eventually(
      () => cast.server.runtime.approvals.waiters.size,
      (n) => n === 0,
    );
    await eventually(activeTimeouts, (n) => n <= before);
  });

  it("no leaks: 10,000 waits resolved by decisions, aborts and timeouts leave no waiter and no timer", {
    timeout: 180_000,
  }, async () => {
    const { approvals } = cast.server.runtime;
    const principal = cast.agent.principal;
    const ids: string[] = [];
    for (let i = 0; i < 100; i++)
      ids.push((await approvals.create(principal, deployRequest() as CreateApprovalBody)).approval.id);
    const before = activeTimeouts();

    const controllers: AbortController[] = [];
    const waits: Promise<unknown>[] = [];
    let settled = 0;
    for (let i = 0; i < 10_000; i++) {
      const id = ids[i % 100]!;
      const kind = i % 3; // 0: decided, 1: aborted, 2: timed out
      const controller = new AbortController();
      controllers.push(controller);
      waits.push(
        approvals
          .wait(principal, id, {
            timeoutMs: kind === 2 ? 5 + (i % 40) : 60_000,
            signal: kind === 1 ? controller.signal : undefined,
          })
          .then(
            (approval) => ({ kind, status: approval.status }),
            (error: unknown) => ({ kind, error: String(error) }),
          )
          .finally(() => settled++),
      );
    }
    // Every wait is registered (or already timed out) before the aborts and decisions start.
    await eventually(
      () => approvals.waiters.size + settled,
      (n) => n === 10_000,
      20_000,
    );
    controllers.forEach((controller, i) => {
      if (i % 3 === 1) controller.abort(new Error("aborted by test"));
    });
    for (const id of ids) await approvals.approve(cast.alice.principal, id);
    const outcomes = (await Promise.all(waits)) as Array<{ kind: number; status?: string; error?: string }>;

    expect(outcomes.filter((o) => o.kind === 0).every((o) => o.status === "approved")).toBe(true);
    expect(outcomes.filter((o) => o.kind === 1).every((o) => o.error?.includes("aborted by test"))).toBe(
      true,
    );
    expect(
      outcomes.filter((o) => o.kind === 2).every((o) => o.status === "pending" || o.status === "approved"),
    ).toBe(true);
    expect(approvals.waiters.size).toBe(0);
    expect(activeTimeouts()).toBeLessThanOrEqual(before);
  });
});
