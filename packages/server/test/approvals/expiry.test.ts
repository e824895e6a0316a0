import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { castOf, createApproval, startTestServer, type TestServer } from "@agentboard/test-support";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ExpiryScheduler, MAX_TIMER_DELAY_MS } from "../../src/approvals/expiry-scheduler.js";

const servers: TestServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(env: Record<string, string> = {}, dataDir?: string) {
  const server = await startTestServer(env, dataDir ? { dataDir } : {});
  servers.push(server);
  return server;
}

const expiring = (extra: Record<string, unknown> = {}) => ({
  type: "deploy",
  title: "Deploy before the window closes",
  expiresInSec: 1,
  ...extra,
});

describe("expiry on a running server", () => {
  it("expires a pending approval at expiresAt with one audit row by system:expiry, and wakes its waiters", async () => {
    const server = await start();
    const { agent, alice } = await castOf(server);
    const approval = await createApproval(agent, expiring());
    expect(approval).toMatchObject({ status: "pending", onTimeout: "expire" });
    expect(Date.parse(approval.expiresAt) - Date.parse(approval.createdAt)).toBe(1000);
    expect(server.runtime.approvals.expiry.size).toBe(1);

    const waited = await agent.request("GET", `/api/approvals/${approval.id}/wait?timeoutMs=10000`);
    expect(waited.body).toMatchObject({ status: "expired", version: 2 });
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(approval.expiresAt));
    expect(waited.body.decidedAt >= approval.expiresAt).toBe(true);
    const events = (await alice.request("GET", `/api/approvals/${approval.id}/events`)).body;
    expect(events[1]).toMatchObject({
      actor: "system:expiry",
      event: "expired",
      from: "pending",
      to: "expired",
    });
    expect(server.runtime.approvals.expiry.size).toBe(0);
  });

  it("onTimeout reject (per request, or by default from config) rejects with reason 'timed out'", async () => {
    const server = await start({
      AGENTBOARD_APPROVAL_DEFAULT_EXPIRY_SEC: "1",
      AGENTBOARD_APPROVAL_ON_TIMEOUT: "reject",
    });
    const { agent } = await castOf(server);
    const byDefault = await createApproval(agent, { type: "deploy", title: "uses the defaults" });
    const overridden = await createApproval(agent, expiring({ onTimeout: "expire" }));
    expect(byDefault).toMatchObject({ onTimeout: "reject" });
    expect(typeof byDefault.expiresAt).toBe("string");
    const [a, b] = await Promise.all(
      [byDefault, overridden].map((x) => agent.request("GET", `/api/approvals/${x.id}/wait?timeoutMs=10000`)),
    );
    expect(a!.body).toMatchObject({ status: "rejected", reason: "timed out" });
    expect(b!.body).toMatchObject({ status: "expired" });
    expect(b!.body.reason).toBeUndefined();
  });

  it("a decision before the deadline disarms the timer; auto-approved requests never get one", async () => {
    const server = await start({ AGENTBOARD_APPROVAL_AUTO_TYPES: "deploy" });
    const { agent, alice } = await castOf(server);
    const approval = await createApproval(agent, { ...expiring(), expiresInSec: 3600 });
    expect(server.runtime.approvals.expiry.size).toBe(1);
    await alice.request("POST", `/api/approvals/${approval.id}/approve`);
    expect(server.runtime.approvals.expiry.size).toBe(0);
    const auto = await createApproval(agent, { ...expiring(), confidence: 99 });
    expect(auto.status).toBe("auto_approved");
    expect(auto.expiresAt).toBeUndefined();
    expect(server.runtime.approvals.expiry.size).toBe(0);
  });
});

describe("expiry across restarts", () => {
  it("a deadline that passed while the server was down is expired right at the next start; future ones re-armed", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "agentboard-expiry-"));
    dirs.push(dataDir);
    const first = await start({}, dataDir);
    const { agent } = await castOf(first);
    const overdue = await createApproval(agent, expiring());
    const overdueReject = await createApproval(agent, expiring({ onTimeout: "reject" }));
    const later = await createApproval(agent, { ...expiring(), expiresInSec: 3600 });
    await servers.pop()!.close();

    await new Promise((resolve) =>
      setTimeout(resolve, Date.parse(overdueReject.expiresAt) - Date.now() + 50),
    );
    const second = await start({}, dataDir);
    const reader = await second.caller({ name: "reader" });
    // No waiting: the first request after the start already sees the outcome.
    expect((await reader.request("GET", `/api/approvals/${overdue.id}`)).body).toMatchObject({
      status: "expired",
    });
    expect((await reader.request("GET", `/api/approvals/${overdueReject.id}`)).body).toMatchObject({
      status: "rejected",
      reason: "timed out",
    });
    expect((await reader.request("GET", `/api/approvals/${later.id}`)).body.status).toBe("pending");
    expect(second.runtime.approvals.expiry.size).toBe(1);
  });
});

describe("ExpiryScheduler", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("reaches deadlines beyond setTimeout's limit in hops, and fires once", async () => {
    vi.useFakeTimers();
    const fired: string[] = [];
    const scheduler = new ExpiryScheduler({
      expire: async (_ws, id) => {
        fired.push(id);
        return { done: true };
      },
      log: { error: () => {} },
    });
    const in30Days = new Date(Date.now() + 30 * 86_400_000).toISOString();
    scheduler.arm("ws", "apr_long", in30Days);
    await vi.advanceTimersByTimeAsync(MAX_TIMER_DELAY_MS);
    expect(fired).toEqual([]);
    expect(scheduler.size).toBe(1);
    await vi.advanceTimersByTimeAsync(30 * 86_400_000 - MAX_TIMER_DELAY_MS);
    expect(fired).toEqual(["apr_long"]);
    expect(scheduler.size).toBe(0);
  });

  it("retries after a failed expiry, re-arms when not yet due, and does nothing after close", async () => {
    vi.useFakeTimers();
    let calls = 0;
    const errors: unknown[] = [];
    const scheduler = new ExpiryScheduler({
      expire: async () => {
        calls++;
        if (calls === 1) throw new Error("store down");
        if (calls === 2) return { done: false, expiresAt: new Date(Date.now() + 1_000).toISOString() };
        return { done: true };
      },
      log: { error: (details) => errors.push(details) },
    });
    scheduler.arm("ws", "apr_1", new Date(Date.now() + 100).toISOString());
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toBe(1);
    expect(errors).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(3);
    expect(scheduler.size).toBe(0);

    scheduler.arm("ws", "apr_2", new Date(Date.now() + 100).toISOString());
    scheduler.close();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(3);
    scheduler.arm("ws", "apr_3", new Date(Date.now() + 100).toISOString());
    expect(scheduler.size).toBe(0);
  });
});
