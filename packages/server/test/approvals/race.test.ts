import { AgentboardError } from "@agentboard/protocol";
import {
  type Caller,
  type Cast,
  castOf,
  createApproval,
  openDatabaseFile,
  startTestServer,
  type TestServer,
} from "@agentboard/test-support";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyAuditChains } from "../../src/approvals/audit-verify.js";
import { KyselyApprovalStore } from "../../src/approvals/kysely-approval-store.js";

let server: TestServer;
let cast: Cast;
beforeAll(async () => {
  server = await startTestServer({ AGENTBOARD_RATE_LIMIT_PER_MINUTE: "100000" });
  cast = await castOf(server);
});
afterAll(async () => server.close());

type Move = "approve" | "reject" | "cancel";
interface Actor {
  name: string;
  caller: () => Caller;
  move: Move;
}

/** Every decider that is allowed to make its move: humans decide, the requester and an admin cancel. */
const ACTORS: Actor[] = [
  { name: "alice approves", caller: () => cast.alice, move: "approve" },
  { name: "bob rejects", caller: () => cast.bob, move: "reject" },
  { name: "admin approves", caller: () => cast.admin, move: "approve" },
  { name: "alice rejects", caller: () => cast.alice, move: "reject" },
  { name: "requester cancels", caller: () => cast.agent, move: "cancel" },
  { name: "admin cancels", caller: () => cast.admin, move: "cancel" },
];

/**
 * Fires one move over HTTP or straight into the service. Both matter: HTTP is the public surface, but with
 * the synchronous SQLite driver each HTTP request tends to run to completion before the next socket is
 * read, while concurrent in-process calls interleave at every await, so their reads go stale before their
 * writes: that is what makes the compare-and-set (and not luck) decide the winner.
 */
async function fire(actor: Actor, id: string, overHttp: boolean): Promise<{ status: number; body: any }> {
  const caller = actor.caller();
  if (overHttp) {
    return actor.move === "cancel"
      ? caller.request("DELETE", `/api/approvals/${id}`, { reason: actor.name })
      : caller.request("POST", `/api/approvals/${id}/${actor.move}`, { reason: actor.name });
  }
  const { approvals } = server.runtime;
  try {
    const approval = await approvals[actor.move](caller.principal, id, actor.name);
    return { status: 200, body: approval };
  } catch (error) {
    if (!AgentboardError.isInstance(error)) throw error;
    return { status: error.status, body: error.toJSON() };
  }
}

const STATUS_OF: Record<Move, string> = { approve: "approved", reject: "rejected", cancel: "cancelled" };

describe("concurrent deciders on one approval", () => {
  it("exactly one transition wins; the rest get 409 or the idempotent cancel answer; one audit row each", async () => {
    await fc.assert(
      fc.asyncProperty(
        // 2–6 distinct actors (with repeats of the same move by different principals), in any order,
        // each fired one to three times (double clicks).
        fc.uniqueArray(fc.integer({ min: 0, max: ACTORS.length - 1 }), {
          minLength: 2,
          maxLength: ACTORS.length,
        }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: ACTORS.length, maxLength: ACTORS.length }),
        fc.array(fc.boolean(), { minLength: 18, maxLength: 18 }),
        async (order, repeats, overHttp) => {
          const approval = await createApproval(cast.agent);
          const fired = order.flatMap((index) => Array<Actor>(repeats[index]!).fill(ACTORS[index]!));
          const answers = await Promise.all(fired.map((actor, i) => fire(actor, approval.id, overHttp[i]!)));

          const final = (await cast.alice.request("GET", `/api/approvals/${approval.id}`)).body;
          expect(["approved", "rejected", "cancelled"]).toContain(final.status);
          expect(final.version).toBe(2);
          fired.forEach((actor, i) => {
            const answer = answers[i]!;
            if (answer.status === 200) {
              // Every 200 reports the one winning transition; only cancels may repeat it.
              expect(answer.body).toEqual(final);
              expect(STATUS_OF[actor.move]).toBe(final.status);
            } else {
              expect(answer.status).toBe(409);
              expect(answer.body.details).toEqual({ status: final.status });
            }
          });
          const winners = answers.filter((a) => a.status === 200);
          if (final.status === "cancelled") {
            const cancels = fired.filter((a) => a.move === "cancel").length;
            expect(winners).toHaveLength(cancels);
          } else {
            expect(winners).toHaveLength(1);
          }
          const events = (await cast.alice.request("GET", `/api/approvals/${approval.id}/events`)).body;
          expect(events.map((e: { to: string }) => e.to)).toEqual(["pending", final.status]);
        },
      ),
      { numRuns: 30 },
    );
    const db = openDatabaseFile(server.dataDir);
    try {
      const rows = db.prepare("SELECT COUNT(*) AS n FROM approval_audit").get() as { n: number };
      expect(rows.n).toBe(60);
    } finally {
      db.close();
    }
    const report = await verifyAuditChains(new KyselyApprovalStore(server.runtime.sqlite.db), [
      cast.agent.principal.workspaceId,
    ]);
    expect(report).toMatchObject({ ok: true, workspaces: [{ rows: 60, approvals: 30 }] });
  });

  it("an expiry timer, a second node's timer and a human racing at the deadline have one winner", async () => {
    const { approvals } = server.runtime;
    for (let round = 0; round < 5; round++) {
      const approval = await createApproval(cast.agent, {
        type: "deploy",
        title: "race the clock",
        expiresInSec: 1,
      });
      const dueIn = Date.parse(approval.expiresAt) - Date.now();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, dueIn)));
      const [human, timerA, timerB] = await Promise.all([
        cast.alice.request("POST", `/api/approvals/${approval.id}/approve`),
        approvals.expireIfDue(approval.workspaceId, approval.id),
        approvals.expireIfDue(approval.workspaceId, approval.id),
      ]);
      expect(timerA).toEqual({ done: true });
      expect(timerB).toEqual({ done: true });
      const final = (await cast.alice.request("GET", `/api/approvals/${approval.id}`)).body;
      expect(["approved", "expired"]).toContain(final.status);
      expect(human.status).toBe(final.status === "approved" ? 200 : 409);
      const events = (await cast.alice.request("GET", `/api/approvals/${approval.id}/events`)).body;
      expect(events).toHaveLength(2);
    }
    expect(approvals.expiry.size).toBe(0);
  });
});
