import { createHash } from "node:crypto";
import { ApprovalSchema, AuditEntrySchema } from "@agentboard/protocol";
import {
  castEachTest,
  closedAfterTest,
  createApproval,
  deployRequest,
  describeEachMode,
  expectApiError,
} from "@agentboard/test-support";
import { describe, expect, it } from "vitest";
import { verifyAuditChains } from "../../src/approvals/audit-verify.js";
import { KyselyApprovalStore } from "../../src/approvals/kysely-approval-store.js";

describeEachMode("approvals lifecycle", (mode) => {
  // Deploys may be auto-approved here (an admin listed them); other types never are.
  const cast = castEachTest(() => mode.startTestServer({ AGENTBOARD_APPROVAL_AUTO_TYPES: "deploy" }));

  /** An agent on a server of the test's own, started with `env` and closed when the test ends. */
  const agentOnServerWith = async (env: Record<string, string>) =>
    (await closedAfterTest(mode.startTestServer(env))).caller({ kind: "agent", name: "a" });

  const trail = async (id: string) => (await cast.alice.request("GET", `/api/approvals/${id}/events`)).body;

  describe("creating approvals", () => {
    it("routes by server policy and records the policy inputs in the creation audit row", async () => {
      const full = await createApproval(cast.agent, deployRequest({ confidence: 40 }));
      const quick = await createApproval(cast.agent, deployRequest({ confidence: 70 }));
      const auto = await createApproval(cast.agent, deployRequest({ confidence: 90 }));
      const none = await createApproval(cast.agent, deployRequest({ confidence: undefined }));

      expect(full).toMatchObject({ route: "full", status: "pending", version: 1, priority: "normal" });
      expect(quick).toMatchObject({ route: "quick", status: "pending" });
      expect(none).toMatchObject({ route: "full", status: "pending" });
      expect(auto).toMatchObject({
        route: "auto",
        status: "auto_approved",
        reason: "auto-approved: confidence 90 ≥ 85",
      });
      expect(auto.decidedAt).toBe(auto.createdAt);
      expect(full.decidedAt).toBeUndefined();
      for (const approval of [full, quick, auto, none]) {
        expect(ApprovalSchema.safeParse(approval).success).toBe(true);
        expect(approval.requestedBy).toEqual({ kind: "agent", id: cast.agent.principal.id });
        expect(approval.workspaceId).toBe(cast.agent.principal.workspaceId);
      }

      const [created] = await trail(full.id);
      expect(AuditEntrySchema.safeParse(created).success).toBe(true);
      expect(created).toMatchObject({
        seq: 1,
        actor: `agent:${cast.agent.principal.id}`,
        event: "created",
        from: null,
        to: "pending",
        reason: "full review: confidence 40 < 60",
        details: {
          type: "deploy",
          confidence: 40,
          autoThreshold: 85,
          quickThreshold: 60,
          alwaysReview: false,
          autoListed: true,
          route: "full",
          argsHash: full.argsHash,
        },
      });
      const autoTrail = await trail(auto.id);
      expect(autoTrail).toHaveLength(1);
      expect(autoTrail[0]).toMatchObject({ event: "created", from: null, to: "auto_approved" });
    });

    it("takes thresholds and always-review types from the configuration", async () => {
      const agent = await agentOnServerWith({
        AGENTBOARD_APPROVAL_ALWAYS_REVIEW: "deploy",
        AGENTBOARD_APPROVAL_AUTO_THRESHOLD: "101",
        AGENTBOARD_APPROVAL_QUICK_THRESHOLD: "30",
      });
      expect(await createApproval(agent, deployRequest({ confidence: 99 }))).toMatchObject({
        route: "full",
        status: "pending",
      });
      expect(await createApproval(agent, deployRequest({ type: "email", confidence: 100 }))).toMatchObject({
        route: "quick",
        status: "pending",
      });
      expect(await createApproval(agent, deployRequest({ type: "email", confidence: 29 }))).toMatchObject({
        route: "full",
      });
    });

    it("by default no type is auto-approved: an agent claiming confidence 100 gets a quick human review", async () => {
      const byDefault = await closedAfterTest(mode.startTestServer());
      const agent = await byDefault.caller({ kind: "agent", name: "dba" });
      const human = await byDefault.caller({ name: "alice" });
      const drop = await agent.request("POST", "/api/approvals", {
        type: "db.drop",
        title: "DROP DATABASE prod",
        confidence: 100,
      });
      expect(drop.status).toBe(201);
      expect(drop.body).toMatchObject({ route: "quick", status: "pending", confidence: 100 });
      expect(drop.body.decidedAt).toBeUndefined();
      const [created] = (await human.request("GET", `/api/approvals/${drop.body.id}/events`)).body;
      expect(created).toMatchObject({
        event: "created",
        to: "pending",
        reason: 'quick review: confidence 100 ≥ 60 (type "db.drop" is not listed for auto-approval)',
        details: {
          type: "db.drop",
          confidence: 100,
          alwaysReview: false,
          autoListed: false,
          route: "quick",
        },
      });
      // The type the old default auto-approved at 85+ is no exception.
      expect(await createApproval(agent, deployRequest({ confidence: 100 }))).toMatchObject({
        route: "quick",
        status: "pending",
      });
    });

    it("auto-approves only the types listed in approvalAutoTypes; always-review still wins", async () => {
      const listed = await createApproval(cast.agent, deployRequest({ confidence: 100 }));
      expect(listed).toMatchObject({ route: "auto", status: "auto_approved" });
      expect((await trail(listed.id))[0].details).toMatchObject({ autoListed: true, route: "auto" });

      const unlisted = await createApproval(cast.agent, {
        type: "db.drop",
        title: "DROP DATABASE prod",
        confidence: 100,
      });
      expect(unlisted).toMatchObject({ route: "quick", status: "pending" });
      expect((await trail(unlisted.id))[0].details).toMatchObject({ autoListed: false, route: "quick" });

      const agent = await agentOnServerWith({
        AGENTBOARD_APPROVAL_AUTO_TYPES: "deploy",
        AGENTBOARD_APPROVAL_ALWAYS_REVIEW: "deploy",
      });
      expect(await createApproval(agent, deployRequest({ confidence: 100 }))).toMatchObject({
        route: "full",
        status: "pending",
      });
    });

    it("binds argsHash to the canonical action: key order does not matter, any other change does", async () => {
      const hashOf = async (action: Record<string, unknown>) =>
        (await createApproval(cast.agent, deployRequest({ action }))).argsHash;
      const a = await hashOf({ tool: "deploy", args: { env: "prod", opts: { b: 2, a: 1 } } });
      const b = await hashOf({ args: { opts: { a: 1, b: 2 }, env: "prod" }, tool: "deploy" });
      const c = await hashOf({ tool: "deploy", args: { env: "prod", opts: { a: 1, b: 3 } } });
      const d = await hashOf({ tool: "rollback", args: { env: "prod", opts: { a: 1, b: 2 } } });
      // Computed here independently of the server's code: sorted keys, no whitespace, SHA-256 hex.
      const expected = createHash("sha256")
        .update('{"args":{"env":"prod","opts":{"a":1,"b":2}},"tool":"deploy"}')
        .digest("hex");
      expect(a).toBe(expected);
      expect(b).toBe(expected);
      expect(c).not.toBe(expected);
      expect(d).not.toBe(expected);
    });

    it("answers a repeated idempotency key with the first approval and writes nothing twice", async () => {
      const body = deployRequest({
        idempotencyKey: "deploy-42",
        action: { tool: "deploy", args: { service: "web", env: "prod" } },
      });
      const first = await cast.agent.request("POST", "/api/approvals", body);
      const again = await cast.agent.request("POST", "/api/approvals", body);
      expect(first.status).toBe(201);
      expect(again).toEqual(first);
      // The same content in another key order is the same request (canonical JSON).
      const reordered = await cast.agent.request("POST", "/api/approvals", {
        idempotencyKey: "deploy-42",
        confidence: 40,
        action: { args: { env: "prod", service: "web" }, tool: "deploy" },
        title: body.title,
        type: "deploy",
      });
      expect(reordered).toEqual(first);
      expect(await trail(first.body.id)).toHaveLength(1);
      expect((await cast.alice.request("GET", "/api/approvals")).body.items).toHaveLength(1);
    });

    it("binds an idempotency key to its principal: another principal's same key is a separate approval", async () => {
      const body = deployRequest({ idempotencyKey: "deploy-42" });
      const mine = await createApproval(cast.agent, body);
      const otherAgent = await cast.server.caller({ kind: "agent", name: "other-agent" });
      const theirs = await otherAgent.request("POST", "/api/approvals", body);
      const alices = await cast.alice.request("POST", "/api/approvals", body);
      for (const other of [theirs, alices]) {
        expect(other.status).toBe(201);
        expect(other.body.id).not.toBe(mine.id);
      }
      expect(theirs.body.requestedBy).toEqual({ kind: "agent", id: otherAgent.principal.id });
      expect(alices.body.requestedBy).toEqual({ kind: "user", id: cast.alice.principal.id });
      expect(alices.body.id).not.toBe(theirs.body.id);
      // Each principal's repeat finds its own, never another's.
      expect((await cast.agent.request("POST", "/api/approvals", body)).body.id).toBe(mine.id);
      expect((await otherAgent.request("POST", "/api/approvals", body)).body.id).toBe(theirs.body.id);
      expect((await cast.alice.request("POST", "/api/approvals", body)).body.id).toBe(alices.body.id);
      expect((await cast.bob.request("GET", "/api/approvals")).body.items).toHaveLength(3);
    });

    it("refuses the same principal's key reused for different content: 422 idempotency_key_reused, nothing written", async () => {
      const body = deployRequest({ idempotencyKey: "deploy-42" });
      const first = await createApproval(cast.agent, body);
      const changes: Record<string, unknown>[] = [
        { action: { tool: "deploy", args: { service: "db", env: "prod" } } },
        { type: "rollback" },
        // Same type and action, so not told apart before request hashes; still another request.
        { title: "Deploy web to production NOW" },
        { confidence: 90 },
        { expiresInSec: 60 },
      ];
      for (const change of changes) {
        const reused = await cast.agent.request("POST", "/api/approvals", { ...body, ...change });
        expect(expectApiError(reused, 422, "invalid").details).toEqual({
          reason: "idempotency_key_reused",
          id: first.id,
        });
      }
      expect(await trail(first.id)).toHaveLength(1);
      expect((await cast.alice.request("GET", "/api/approvals")).body.items).toHaveLength(1);
      // The original request still answers with the first approval.
      expect((await cast.agent.request("POST", "/api/approvals", body)).body).toEqual(first);
    });

    it("keeps keys stored before request hashes working, compared on type and action as before", async () => {
      const body = deployRequest({ idempotencyKey: "old-key" });
      const first = await createApproval(cast.agent, body);
      // What a row written before migration 005 looks like: a key without a request hash.
      await cast.server.runtime.sqlite.db
        .updateTable("approvals")
        .set({ request_hash: null })
        .where("id", "=", first.id)
        .execute();
      expect((await cast.agent.request("POST", "/api/approvals", body)).body).toEqual(first);
      expect(
        (await cast.agent.request("POST", "/api/approvals", { ...body, title: "another title" })).body,
      ).toEqual(first);
      const otherAction = await cast.agent.request("POST", "/api/approvals", {
        ...body,
        action: { tool: "deploy", args: { service: "db", env: "prod" } },
      });
      expect(expectApiError(otherAction, 422, "invalid").details).toEqual({
        reason: "idempotency_key_reused",
        id: first.id,
      });
      expect((await cast.alice.request("GET", "/api/approvals")).body.items).toHaveLength(1);
    });
  });

  describe("listing", () => {
    it("pages newest first with an opaque cursor, filters by status and type, and stays in the workspace", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        ids.push((await createApproval(cast.agent, deployRequest({ type: i % 2 ? "email" : "deploy" }))).id);
      }
      await cast.alice.request("POST", `/api/approvals/${ids[0]}/approve`);

      const seen: string[] = [];
      let cursor: string | null = null;
      const sizes: number[] = [];
      do {
        const page = await cast.alice.request(
          "GET",
          `/api/approvals?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        );
        expect(page.status).toBe(200);
        sizes.push(page.body.items.length);
        seen.push(...page.body.items.map((a: { id: string }) => a.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(sizes).toEqual([3, 3, 1]);
      expect(seen).toEqual([...ids].reverse());

      const pending = await cast.alice.request("GET", "/api/approvals?status=pending&type=deploy");
      expect(pending.body.items.map((a: { id: string }) => a.id)).toEqual([ids[6], ids[4], ids[2]]);
      const approved = await cast.alice.request("GET", "/api/approvals?status=approved&type=");
      expect(approved.body).toMatchObject({ items: [{ id: ids[0], status: "approved" }], nextCursor: null });

      expect((await cast.outsider.request("GET", "/api/approvals")).body).toEqual({
        items: [],
        nextCursor: null,
      });
      expectApiError(await cast.alice.request("GET", "/api/approvals?cursor=garbage"), 422, "invalid");
      expectApiError(await cast.alice.request("GET", "/api/approvals?limit=1000"), 422, "invalid");
      expectApiError(await cast.alice.request("GET", "/api/approvals?status=done"), 422, "invalid");
    });
  });

  describe("transitions", () => {
    it("approve, reject and cancel each happen once; afterwards 409 says the status that won", async () => {
      const approved = await createApproval(cast.agent);
      const ok = await cast.alice.request("POST", `/api/approvals/${approved.id}/approve`, {
        reason: "looks good",
      });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({
        status: "approved",
        version: 2,
        reason: "looks good",
        decidedBy: { kind: "user", id: cast.alice.principal.id },
      });
      expect(Date.parse(ok.body.decidedAt)).toBeGreaterThanOrEqual(Date.parse(approved.createdAt));
      for (const [method, path] of [
        ["POST", "approve"],
        ["POST", "reject"],
      ] as const) {
        const again = await cast.bob.request(method, `/api/approvals/${approved.id}/${path}`);
        expect(expectApiError(again, 409, "conflict").details).toEqual({ status: "approved" });
      }
      const lateCancel = await cast.agent.request("DELETE", `/api/approvals/${approved.id}`);
      expect(expectApiError(lateCancel, 409, "conflict").details).toEqual({ status: "approved" });

      const rejected = await createApproval(cast.agent);
      const no = await cast.bob.request("POST", `/api/approvals/${rejected.id}/reject`);
      expect(no.body).toMatchObject({
        status: "rejected",
        version: 2,
        decidedBy: { id: cast.bob.principal.id },
      });
      expect(no.body.reason).toBeUndefined();

      const cancelled = await createApproval(cast.agent);
      const first = await cast.agent.request("DELETE", `/api/approvals/${cancelled.id}`, {
        reason: "not needed",
      });
      expect(first.body).toMatchObject({ status: "cancelled", reason: "not needed", version: 2 });
      const repeat = await cast.agent.request("DELETE", `/api/approvals/${cancelled.id}`, {
        reason: "again",
      });
      const byAdmin = await cast.admin.request("DELETE", `/api/approvals/${cancelled.id}`);
      expect(repeat).toEqual(first);
      expect(byAdmin).toEqual(first);
      expect(
        expectApiError(
          await cast.alice.request("POST", `/api/approvals/${cancelled.id}/approve`),
          409,
          "conflict",
        ).details,
      ).toEqual({
        status: "cancelled",
      });

      for (const id of [approved.id, rejected.id, cancelled.id]) {
        const rows = await trail(id);
        expect(rows).toHaveLength(2);
        expect(rows[1]).toMatchObject({
          from: "pending",
          event: id === cancelled.id ? "cancelled" : "decided",
        });
      }
      const report = await verifyAuditChains(new KyselyApprovalStore(cast.server.runtime.sqlite.db), [
        cast.agent.principal.workspaceId,
      ]);
      expect(report).toMatchObject({ ok: true, workspaces: [{ rows: 6, approvals: 3 }] });
    });

    it("a cancel without a body and a decision without a body are accepted", async () => {
      const a = await createApproval(cast.agent);
      const b = await createApproval(cast.agent);
      const approve = await cast.server.raw("POST", `/api/approvals/${a.id}/approve`, {
        headers: { authorization: `Bearer ${cast.alice.token}` },
      });
      expect(approve.status).toBe(200);
      const cancel = await cast.server.raw("DELETE", `/api/approvals/${b.id}`, {
        headers: { authorization: `Bearer ${cast.agent.token}` },
      });
      expect(cancel.status).toBe(200);
      expect(cancel.body.status).toBe("cancelled");
    });

    it("bulk decides each id on its own and reports per item", async () => {
      const pending = await createApproval(cast.agent);
      const decided = await createApproval(cast.agent);
      await cast.bob.request("POST", `/api/approvals/${decided.id}/reject`);
      const own = await createApproval(cast.alice);
      const result = await cast.alice.request("POST", "/api/approvals/bulk", {
        ids: [pending.id, decided.id, "apr_missing", own.id],
        decision: "approve",
        reason: "batch",
      });
      expect(result.status).toBe(200);
      expect(result.body.results).toMatchObject([
        { id: pending.id, ok: true, approval: { status: "approved", reason: "batch" } },
        { id: decided.id, ok: false, error: { error: "conflict", details: { status: "rejected" } } },
        { id: "apr_missing", ok: false, error: { error: "not_found" } },
        { id: own.id, ok: false, error: { error: "forbidden" } },
      ]);
      expect((await cast.alice.request("GET", `/api/approvals/${own.id}`)).body.status).toBe("pending");

      expectApiError(
        await cast.viewer.request("POST", "/api/approvals/bulk", { ids: [own.id], decision: "approve" }),
        403,
        "forbidden",
      );
      expectApiError(
        await cast.agent.request("POST", "/api/approvals/bulk", { ids: [own.id], decision: "reject" }),
        403,
        "forbidden",
      );
      expectApiError(
        await cast.alice.request("POST", "/api/approvals/bulk", {
          ids: Array.from({ length: 101 }, (_, i) => `apr_${i}`),
          decision: "approve",
        }),
        422,
        "invalid",
      );
    });
  });
});
