import type { Approval } from "@agentboard/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ApprovalStore, AuditInput, CreateApprovalInput } from "../../src/approvals/approval-store.js";
import { auditHash, GENESIS_HASH } from "../../src/approvals/audit-chain.js";

/** A fresh, empty store with two workspaces that exist in it; `close` drops everything. */
export interface StoreFixture {
  store: ApprovalStore;
  workspaces: [string, string];
  close(): Promise<void>;
}

let counter = 0;

function approval(workspaceId: string, overrides: Partial<Approval> = {}): Approval {
  counter++;
  return {
    id: `apr_${String(counter).padStart(6, "0")}`,
    workspaceId,
    type: "deploy",
    title: `request ${counter}`,
    action: { tool: "deploy", args: { n: counter } },
    argsHash: "a".repeat(64),
    priority: "normal",
    route: "full",
    status: "pending",
    requestedBy: { kind: "agent", id: "agt_1" },
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, counter)).toISOString(),
    version: 1,
    ...overrides,
  };
}

const created = (at: string): AuditInput => ({
  at,
  actor: "agent:agt_1",
  event: "created",
  details: { route: "full" },
});

function input(a: Approval, extra: Partial<CreateApprovalInput> = {}): CreateApprovalInput {
  return { approval: a, onTimeout: "expire", audit: created(a.createdAt), ...extra };
}

/**
 * The behaviour every ApprovalStore must have (SQLite today, PostgreSQL with cluster mode): one suite, run
 * against each implementation by its own test file.
 */
export function describeApprovalStore(name: string, open: () => Promise<StoreFixture>): void {
  describe(`ApprovalStore conformance: ${name}`, () => {
    let fixture: StoreFixture;
    let store: ApprovalStore;
    let wsA: string;
    let wsB: string;
    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
      [wsA, wsB] = fixture.workspaces;
    });
    afterEach(async () => fixture.close());

    /** Moves `a` from `expectedVersion` to `to` with one audit row (decided by user:u at its creation time). */
    const transition = (
      a: Approval,
      expectedVersion: number,
      to: "approved" | "expired",
      audit: Partial<AuditInput> = {},
      workspaceId = a.workspaceId,
    ) =>
      store.transition({
        workspaceId,
        id: a.id,
        expectedVersion,
        to,
        audit: { at: a.createdAt, actor: "user:u", event: "decided", ...audit },
      });

    it("creates and reads back exactly what was stored, scoped by workspace", async () => {
      const a = approval(wsA, {
        description: "why",
        confidence: 42.5,
        expiresAt: "2026-02-01T00:00:00.000Z",
      });
      expect(await store.create(input(a, { onTimeout: "reject" }))).toEqual({ created: true, approval: a });
      expect(await store.get(wsA, a.id)).toEqual({ ...a, onTimeout: "reject" });
      expect(await store.get(wsB, a.id)).toBeNull();
      expect(await store.get(wsA, "apr_none")).toBeNull();
    });

    it("returns the first approval and its request hash for a repeated idempotency key of the same requester, writing nothing", async () => {
      const first = approval(wsA);
      const hash = "b".repeat(64);
      await store.create(input(first, { idempotencyKey: "k1", requestHash: hash }));
      const again = await store.create(
        input(approval(wsA), { idempotencyKey: "k1", requestHash: "c".repeat(64) }),
      );
      expect(again).toEqual({ created: false, approval: first, requestHash: hash });
      const otherRequester = approval(wsA, { requestedBy: { kind: "agent", id: "agt_2" } });
      expect((await store.create(input(otherRequester, { idempotencyKey: "k1" }))).created).toBe(true);
      const aUser = approval(wsA, { requestedBy: { kind: "user", id: "usr_1" } });
      expect((await store.create(input(aUser, { idempotencyKey: "k1" }))).created).toBe(true);
      const otherWorkspace = approval(wsB);
      expect((await store.create(input(otherWorkspace, { idempotencyKey: "k1" }))).created).toBe(true);
      expect((await store.auditRows(wsA, 0, 100)).map((r) => r.approvalId)).toEqual([
        first.id,
        otherRequester.id,
        aUser.id,
      ]);
      // A key stored without a hash (rows from before hashes were kept) answers null, not a made-up hash.
      expect(
        await store.create(
          input(approval(wsA, { requestedBy: { kind: "agent", id: "agt_2" } }), { idempotencyKey: "k1" }),
        ),
      ).toEqual({
        created: false,
        approval: otherRequester,
        requestHash: null,
      });
    });

    it("transitions by compare-and-set: of concurrent callers with one expected version, one wins", async () => {
      const a = approval(wsA);
      await store.create(input(a));
      const attempt = (to: "approved" | "rejected" | "cancelled") =>
        store.transition({
          workspaceId: wsA,
          id: a.id,
          expectedVersion: 1,
          to,
          decidedBy: { kind: "user", id: `usr_${to}` },
          reason: to,
          audit: { at: "2026-01-02T00:00:00.000Z", actor: `user:usr_${to}`, event: "decided", reason: to },
        });
      const results = await Promise.all([attempt("approved"), attempt("rejected"), attempt("cancelled")]);
      const winners = results.filter((r) => r.ok);
      expect(winners).toHaveLength(1);
      const winner = winners[0] as { ok: true; approval: Approval };
      expect(winner.approval).toMatchObject({ version: 2, decidedAt: "2026-01-02T00:00:00.000Z" });
      for (const loser of results.filter((r) => !r.ok))
        expect(loser).toEqual({ ok: false, current: winner.approval });
      expect(await store.auditTrail(wsA, a.id)).toHaveLength(2);

      // A stale version, another workspace, or a terminal row: nothing happens.
      const stale = await transition(a, 2, "expired", {
        at: "2026-01-03T00:00:00.000Z",
        actor: "system:expiry",
        event: "expired",
      });
      expect(stale).toEqual({ ok: false, current: winner.approval });
      const b = approval(wsA);
      await store.create(input(b));
      const foreign = await transition(b, 1, "approved", {}, wsB);
      expect(foreign).toEqual({ ok: false, current: null });
      expect((await store.get(wsA, b.id))?.status).toBe("pending");
    });

    it("keeps one contiguous hash chain per workspace, its head at the last row", async () => {
      for (const ws of [wsA, wsB, wsA]) {
        const a = approval(ws);
        await store.create(input(a));
        await transition(a, 1, "approved");
      }
      for (const [ws, count] of [
        [wsA, 4],
        [wsB, 2],
      ] as const) {
        const rows = await store.auditRows(ws, 0, 100);
        expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1));
        let previous = GENESIS_HASH;
        for (const row of rows) {
          expect(row.workspaceId).toBe(ws);
          expect(row.prevHash).toBe(previous);
          expect(row.hash).toBe(auditHash(previous, row));
          previous = row.hash;
        }
        expect(await store.auditHead(ws)).toEqual({ seq: count, hash: previous });
        expect((await store.auditRows(ws, 2, 1)).map((r) => r.seq)).toEqual([3].filter((s) => s <= count));
      }
      expect(await store.auditWorkspaces()).toEqual([wsA, wsB].sort());
    });

    it("lists newest first with keyset pages and filters", async () => {
      const made: Approval[] = [];
      for (let i = 0; i < 5; i++) {
        const a = approval(wsA, { type: i % 2 ? "email" : "deploy" });
        made.push(a);
        await store.create(input(a));
      }
      // Two approvals created in the same millisecond are ordered by id.
      const twin = approval(wsA, { createdAt: made[4]!.createdAt });
      await store.create(input(twin));
      await store.create(input(approval(wsB)));

      const seen: string[] = [];
      let after: { createdAt: string; id: string } | undefined;
      for (;;) {
        const page = await store.list(wsA, { limit: 2, after });
        seen.push(...page.items.map((a) => a.id));
        if (!page.next) break;
        after = page.next;
      }
      expect(seen).toEqual([twin.id, ...made.map((a) => a.id).reverse()]);
      const emails = await store.list(wsA, { limit: 10, type: "email" });
      expect(emails.items.map((a) => a.id)).toEqual([made[3]!.id, made[1]!.id]);
      expect((await store.list(wsA, { limit: 10, status: "approved" })).items).toEqual([]);
    });

    it("finds every pending approval with a deadline, across workspaces, for re-arming", async () => {
      const a = approval(wsA, { expiresAt: "2026-03-01T00:00:00.000Z" });
      const b = approval(wsB, { expiresAt: "2026-02-01T00:00:00.000Z" });
      const noDeadline = approval(wsA);
      const decided = approval(wsA, { expiresAt: "2026-01-15T00:00:00.000Z" });
      for (const x of [a, b, noDeadline, decided]) await store.create(input(x));
      await transition(decided, 1, "approved");
      expect(await store.listPendingWithExpiry()).toEqual([
        { workspaceId: wsB, id: b.id, expiresAt: b.expiresAt },
        { workspaceId: wsA, id: a.id, expiresAt: a.expiresAt },
      ]);
    });

    it("pages integrity rows by id", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const a = approval(wsA);
        ids.push(a.id);
        await store.create(input(a));
      }
      const first = await store.integrityRows(wsA, "", 2);
      const rest = await store.integrityRows(wsA, first[1]!.id, 2);
      expect([...first, ...rest].map((r) => r.id)).toEqual([...ids].sort());
      expect(first[0]).toMatchObject({ status: "pending", version: 1, argsHash: "a".repeat(64) });
      expect(first[0]!.action).toEqual({ tool: "deploy", args: expect.any(Object) });
    });
  });
}
