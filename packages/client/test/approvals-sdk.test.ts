import { AgentboardError } from "@agentboard/protocol";
import { startTestServer, type TestServer } from "@agentboard/test-support";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ApiRequestError,
  ApprovalCancelledError,
  ApprovalExpiredError,
  ApprovalOutcomeError,
  ApprovalRejectedError,
  type BoardClient,
  createBoardClient,
  IdempotencyKeyReusedError,
  WaitTimeoutError,
} from "../src/index.js";

let server: TestServer;
let agentBoard: BoardClient;
let humanBoard: BoardClient;

// Every scenario runs with each wait transport: the WebSocket (default) and the long-poll fallback.
describe.each(["realtime", "long-poll"] as const)("approvals over %s", (transport) => {
  beforeEach(async () => {
    // Deploys may be auto-approved on this server (one scenario needs it); confidence 40 still waits.
    server = await startTestServer({ AGENTBOARD_APPROVAL_AUTO_TYPES: "deploy" });
    const agent = await server.caller({ kind: "agent", name: "deployer" });
    const human = await server.caller({ name: "alice" });
    agentBoard = createBoardClient({ url: server.url, token: agent.token, approvalWaits: transport });
    humanBoard = createBoardClient({ url: server.url, token: human.token, approvalWaits: transport });
  });
  afterEach(async () => {
    await Promise.all([agentBoard.close(), humanBoard.close()]);
    await server.close();
  });

  const deploy = {
    type: "deploy",
    title: "Deploy web",
    action: { tool: "deploy", args: { env: "prod" } },
    confidence: 40,
  };

  /**
   * Resolves once the server provably has the SDK waiting before the test decides: `n` long-poll waiters, or
   * (realtime) a connection following approval events.
   */
  async function serverWaiters(n: number) {
    const deadline = Date.now() + 5_000;
    const count = () =>
      transport === "long-poll"
        ? server.runtime.approvals.waiters.size
        : Math.min(n, server.app.realtimeHub.subscriptionCount("approvals"));
    while (count() !== n) {
      if (Date.now() > deadline) throw new Error(`expected ${n} waiters (${transport}), have ${count()}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** The agent asks for `deploy` and waits; resolves once the server holds the wait. `outcome`: value or error. */
  async function heldWait() {
    const handle = await agentBoard.approvals.request(deploy);
    const outcome = handle.wait({ timeoutMs: 20_000 }).catch((error: unknown) => error);
    await serverWaiters(1);
    return { handle, outcome };
  }

  describe("board.approvals: request → wait → outcome", () => {
    it("confidence 40 → pending/full; the agent waits; a human approves; the agent resumes", async () => {
      const handle = await agentBoard.approvals.request(deploy);
      expect(handle.approval).toMatchObject({ status: "pending", route: "full" });
      const waiting = handle.wait({ timeoutMs: 20_000 });
      await serverWaiters(1);
      await humanBoard.approvals.approve(handle.id, "go");
      const approved = await waiting;
      expect(approved).toMatchObject({ id: handle.id, status: "approved", reason: "go" });
      expect(handle.approval.status).toBe("approved");
      expect(server.runtime.approvals.waiters.size).toBe(0);
    });

    it("a rejection rejects the wait with ApprovalRejectedError", async () => {
      const { handle, outcome } = await heldWait();
      await humanBoard.approvals.reject(handle.id, "not on a Friday");
      const error = await outcome;
      expect(error).toBeInstanceOf(ApprovalRejectedError);
      expect(ApprovalRejectedError.isInstance(error)).toBe(true);
      expect(ApprovalCancelledError.isInstance(error)).toBe(false);
      expect(error).toMatchObject({ reason: "not on a Friday", approval: { status: "rejected" } });
    });

    it("a cancellation rejects with ApprovalCancelledError carrying the reason", async () => {
      const { handle, outcome } = await heldWait();
      // The agent itself (another task of it) withdraws the request.
      await agentBoard.approvals.cancel(handle.id, "superseded by v2");
      const error = await outcome;
      expect(ApprovalCancelledError.isInstance(error)).toBe(true);
      expect((error as ApprovalCancelledError).reason).toBe("superseded by v2");
      expect((error as ApprovalCancelledError).message).toContain("superseded by v2");
    });

    it("expiry rejects with ApprovalExpiredError", async () => {
      const handle = await agentBoard.approvals.request({ ...deploy, expiresInSec: 1 });
      const error = await handle.wait({ timeoutMs: 20_000 }).catch((e: unknown) => e);
      expect(ApprovalExpiredError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ approval: { status: "expired", id: handle.id } });
    });

    it("the client's own timeout rejects with WaitTimeoutError and the approval stays pending (and can be waited again)", async () => {
      const handle = await agentBoard.approvals.request(deploy);
      const started = Date.now();
      const error = await handle.wait({ timeoutMs: 300 }).catch((e: unknown) => e);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(WaitTimeoutError.isInstance(error)).toBe(true);
      expect(ApprovalOutcomeError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ approval: { status: "pending" } });
      expect((await humanBoard.approvals.get(handle.id)).status).toBe("pending");
      expect(server.runtime.approvals.waiters.size).toBe(0);

      const again = handle.wait({ timeoutMs: 20_000 });
      await serverWaiters(1);
      await humanBoard.approvals.approve(handle.id);
      await expect(again).resolves.toMatchObject({ status: "approved" });
    });

    it("a decision made before wait() is called resolves at once", async () => {
      const handle = await agentBoard.approvals.request(deploy);
      await humanBoard.approvals.approve(handle.id);
      const started = Date.now();
      await expect(handle.wait({ timeoutMs: 20_000 })).resolves.toMatchObject({ status: "approved" });
      expect(Date.now() - started).toBeLessThan(2_000);

      // Also for a handle attached later (an agent that restarted and picks its request up again).
      const other = await agentBoard.approvals.request(deploy);
      await humanBoard.approvals.reject(other.id);
      const attached = await agentBoard.approvals.handle(other.id);
      await expect(attached.wait()).rejects.toBeInstanceOf(ApprovalRejectedError);
    });

    it("an auto-approved request resolves without a round trip", async () => {
      const handle = await agentBoard.approvals.request({ ...deploy, confidence: 97 });
      expect(handle.approval.status).toBe("auto_approved");
      await expect(handle.wait()).resolves.toMatchObject({ status: "auto_approved" });
    });

    it("an abort signal ends the wait with its reason, on the client and the server", async () => {
      const handle = await agentBoard.approvals.request(deploy);
      const controller = new AbortController();
      const waiting = handle.wait({ signal: controller.signal }).catch((e: unknown) => e);
      await serverWaiters(1);
      controller.abort(new Error("agent shutting down"));
      expect(await waiting).toMatchObject({ message: "agent shutting down" });
      await serverWaiters(0);
      const aborted = new AbortController();
      aborted.abort(new Error("already"));
      await expect(handle.wait({ signal: aborted.signal })).rejects.toThrow("already");
    });

    it("refuses a bad request before a round trip, and maps server errors to ApiRequestError", async () => {
      const invalid = await agentBoard.approvals
        .request({ ...deploy, confidence: 400 })
        .catch((e: unknown) => e);
      expect(AgentboardError.isInstance(invalid)).toBe(true);
      expect(invalid).toMatchObject({ code: "invalid" });
      expect((await humanBoard.approvals.list()).items).toEqual([]);

      const handle = await agentBoard.approvals.request(deploy);
      const own = await agentBoard.approvals.approve(handle.id).catch((e: unknown) => e);
      expect(own).toBeInstanceOf(ApiRequestError);
      expect(own).toMatchObject({ code: "forbidden", httpStatus: 403 });
      const missing = await agentBoard.approvals.handle("apr_missing").catch((e: unknown) => e);
      expect(missing).toMatchObject({ code: "not_found", httpStatus: 404 });
    });

    it("an idempotency key reused for another request rejects with IdempotencyKeyReusedError, sent once", async () => {
      const posts: string[] = [];
      const counting = createBoardClient({
        url: server.url,
        token: (await server.caller({ kind: "agent", name: "deployer" })).token,
        approvalWaits: transport,
        fetch: (input, init) => {
          if (init?.method === "POST") posts.push(String(input));
          return fetch(input, init);
        },
      });
      try {
        const keyed = { ...deploy, idempotencyKey: "deploy-7" };
        const first = await counting.approvals.request(keyed);
        expect((await counting.approvals.request(keyed)).id).toBe(first.id);
        expect(posts).toHaveLength(2);

        const reused = await counting.approvals
          .request({ ...keyed, action: { tool: "deploy", args: { env: "staging" } } })
          .catch((e: unknown) => e);
        expect(posts).toHaveLength(3);
        expect(IdempotencyKeyReusedError.isInstance(reused)).toBe(true);
        expect(reused).toBeInstanceOf(IdempotencyKeyReusedError);
        expect(reused).toBeInstanceOf(ApiRequestError);
        expect(reused).toMatchObject({
          name: "IdempotencyKeyReusedError",
          code: "invalid",
          httpStatus: 422,
          idempotencyKey: "deploy-7",
          approvalId: first.id,
          details: { reason: "idempotency_key_reused", id: first.id },
        });
        // Other error answers stay plain ApiRequestErrors.
        const other = await counting.approvals.handle("apr_missing").catch((e: unknown) => e);
        expect(IdempotencyKeyReusedError.isInstance(other)).toBe(false);
        expect((await humanBoard.approvals.list()).items.map((x) => x.id)).toEqual([first.id]);
      } finally {
        await counting.close();
      }
    });

    it("lists, bulk-decides and reads the audit trail", async () => {
      const a = await agentBoard.approvals.request(deploy);
      const b = await agentBoard.approvals.request({ ...deploy, type: "email" });
      expect((await humanBoard.approvals.list({ type: "email" })).items.map((x) => x.id)).toEqual([b.id]);
      const bulk = await humanBoard.approvals.bulk([a.id, b.id], "reject", "batch");
      expect(bulk.results.map((r) => r.ok)).toEqual([true, true]);
      const events = await humanBoard.approvals.events(a.id);
      expect(events.map((e) => [e.event, e.to])).toEqual([
        ["created", "pending"],
        ["decided", "rejected"],
      ]);
    });
  });
});
