import { type DashboardState, defaultDashboardState } from "@agentboard/protocol";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type {
  ChangeOrigin,
  CommitInput,
  DashboardKey,
  DashboardStore,
  PatchLogEntry,
} from "../../src/dashboards/dashboard-store.js";

/** A fresh, empty store; `close` removes everything it wrote. */
export interface DashboardStoreFixture {
  store: DashboardStore;
  /**
   * Makes a document expire as the implementation does it: SQLite's sweep (dropExpired), Redis's TTL (the
   * worst case: the document hash went first and its log is still there).
   */
  expire(key: DashboardKey): Promise<void>;
  close(): Promise<void>;
}

/** The workspaces the suite writes to; a store with foreign keys must have them before the suite runs. */
export const SUITE_WORKSPACES = ["ws_a", "ws_b", "ws_p"] as const;

const keyA: DashboardKey = { workspaceId: "ws_a", dashboardId: "ops" };
const keyB: DashboardKey = { workspaceId: "ws_b", dashboardId: "ops" };

function stateWith(note: string): DashboardState {
  return {
    ...defaultDashboardState(),
    widgets: {
      n: {
        id: "n",
        type: "note",
        title: "Note",
        props: { markdown: note },
        status: "ready",
        updatedAt: "2026-01-01T00:00:00.000Z",
        updatedBy: "user:u1",
      },
    },
  } as DashboardState;
}

let clock = 0;
const at = () => new Date(Date.UTC(2026, 0, 1) + ++clock * 1000).toISOString();

function commitInput(
  key: DashboardKey,
  expectedRev: number,
  note: string,
  origin: Partial<ChangeOrigin> = {},
  logLimit = 1000,
): CommitInput {
  const full: ChangeOrigin = { principal: "user:u1", ...origin };
  const { principal, clientId, mutationId } = full;
  return {
    key,
    expectedRev,
    state: stateWith(note),
    entry: {
      ops: [{ op: "replace", path: "/widgets/n/props/markdown", value: note }],
      paths: ["/widgets/n/props/markdown"],
      origin: full,
      at: at(),
    },
    logLimit,
    // The service records a key with the hash of the request; here the note stands for the content.
    ...(clientId && mutationId
      ? { mutation: { principal, clientId, mutationId, contentHash: `h-${note}` } }
      : {}),
  };
}

/** Commits `count` changes in a row from the current rev; returns the inputs. */
async function commitMany(store: DashboardStore, key: DashboardKey, count: number, logLimit = 1000) {
  const inputs: CommitInput[] = [];
  for (let i = 0; i < count; i++) {
    const rev = (await store.readVersion(key))?.rev ?? 0;
    const input = commitInput(key, rev, `n${rev + 1}`, {}, logLimit);
    expect(await store.commit(input)).toEqual({ ok: true, rev: rev + 1 });
    inputs.push(input);
  }
  return inputs;
}

/**
 * The behaviour every DashboardStore must have (SQLite embedded, Redis in cluster mode): one suite, run
 * against each implementation by its own test file. What the dashboard service relies on across nodes is
 * that `commit` is an atomic compare-and-set of (state, rev + 1, log entry, idempotency record).
 */
export function describeDashboardStore(name: string, open: () => Promise<DashboardStoreFixture>): void {
  describe(`DashboardStore conformance: ${name}`, () => {
    let fixture: DashboardStoreFixture;
    let store: DashboardStore;
    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
    });
    afterEach(async () => fixture.close());

    const committedAt = async (
      key: DashboardKey,
      clientId: string,
      mutationId: string,
      principal = "user:u1",
    ) => (await store.readForWrite(key, { principal, clientId, mutationId })).mutation?.rev ?? null;

    it("reads a never-written document as absent, with no changes and no mutations", async () => {
      expect(await store.read(keyA)).toBeNull();
      expect(await store.readVersion(keyA)).toBeNull();
      expect(await store.changesSince(keyA, 0)).toEqual([]);
      expect(
        await store.readForWrite(keyA, { principal: "user:u1", clientId: "c", mutationId: "m" }),
      ).toEqual({
        version: null,
        mutation: null,
      });
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it("commits from rev 0 and reads back exactly what was written", async () => {
      const input = commitInput(keyA, 0, 'héllo — ☃ \u0000 "quoted"');
      expect(await store.commit(input)).toEqual({ ok: true, rev: 1 });
      expect(await store.read(keyA)).toEqual({
        rev: 1,
        schemaVersion: 1,
        state: input.state,
        updatedAt: input.entry.at,
      });
      expect(await store.readVersion(keyA)).toEqual({ rev: 1, updatedAt: input.entry.at });
      expect(await store.readForWrite(keyA)).toEqual({
        version: { rev: 1, updatedAt: input.entry.at },
        mutation: null,
      });
    });

    it("refuses a commit whose expected rev is not the stored one, changing nothing", async () => {
      await commitMany(store, keyA, 2);
      const before = await store.read(keyA);
      expect(await store.commit(commitInput(keyA, 1, "stale"))).toEqual({ ok: false, currentRev: 2 });
      expect(await store.commit(commitInput(keyA, 5, "ahead"))).toEqual({ ok: false, currentRev: 2 });
      expect(await store.read(keyA)).toEqual(before);
      expect((await store.changesSince(keyA, 0))?.map((e) => e.rev)).toEqual([1, 2]);
    });

    it("lets exactly one of many concurrent commits on the same rev win", async () => {
      await commitMany(store, keyA, 1);
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => store.commit(commitInput(keyA, 1, `racer ${i}`))),
      );
      const winners = results.filter((r) => r.ok);
      expect(winners).toEqual([{ ok: true, rev: 2 }]);
      expect(results.filter((r) => !r.ok)).toEqual(Array(11).fill({ ok: false, currentRev: 2 }));
      const winner = results.findIndex((r) => r.ok);
      expect((await store.read(keyA))?.state).toEqual(stateWith(`racer ${winner}`));
      expect(await store.changesSince(keyA, 1)).toHaveLength(1);
    });

    it("logs each change with its ops, paths, origin and time, in rev order", async () => {
      const first = commitInput(keyA, 0, "one", { clientId: "c1", mutationId: "m1" });
      const second = commitInput(keyA, 1, "two", {
        principal: "agent:a1",
        connectionId: "conn-1",
        requestId: "r1",
      });
      await store.commit(first);
      await store.commit(second);
      const entries = await store.changesSince(keyA, 0);
      expect(entries).toEqual([
        {
          rev: 1,
          ops: first.entry.ops,
          paths: first.entry.paths,
          origin: { principal: "user:u1", clientId: "c1", mutationId: "m1" },
          at: first.entry.at,
        },
        // The connection that wrote a change is not persisted: it means nothing later or on another node.
        {
          rev: 2,
          ops: second.entry.ops,
          paths: second.entry.paths,
          origin: { principal: "agent:a1" },
          at: second.entry.at,
        },
      ] satisfies PatchLogEntry[]);
      expect((await store.changesSince(keyA, 1))?.map((e) => e.rev)).toEqual([2]);
      expect(await store.changesSince(keyA, 2)).toEqual([]);
      expect(await store.changesSince(keyA, 7)).toEqual([]);
    });

    it("keeps a bounded log and says so when it no longer reaches back", async () => {
      await commitMany(store, keyA, 10, 3);
      expect((await store.changesSince(keyA, 7))?.map((e) => e.rev)).toEqual([8, 9, 10]);
      expect((await store.changesSince(keyA, 9))?.map((e) => e.rev)).toEqual([10]);
      expect(await store.changesSince(keyA, 6)).toBeNull();
      expect(await store.changesSince(keyA, 0)).toBeNull();
    });

    it("records (clientId, mutationId) with the commit, keeping ids that share a colon apart", async () => {
      await store.commit(commitInput(keyA, 0, "x", { clientId: "a:b", mutationId: "c" }));
      await store.commit(commitInput(keyA, 1, "y", { clientId: "a", mutationId: "b:c" }));
      expect(await committedAt(keyA, "a:b", "c")).toBe(1);
      expect(await committedAt(keyA, "a", "b:c")).toBe(2);
      expect(await committedAt(keyA, "a", "c")).toBeNull();
      expect(await committedAt(keyB, "a:b", "c")).toBeNull();
      await store.commit(commitInput(keyA, 2, "z", { clientId: "a:b" }));
      expect(await committedAt(keyA, "a:b", "undefined")).toBeNull();
      // The version comes with it, as readVersion reports it.
      expect(
        (await store.readForWrite(keyA, { principal: "user:u1", clientId: "a", mutationId: "c" })).version,
      ).toEqual(await store.readVersion(keyA));
    });

    it("keys each record by its principal too, and keeps the request's content hash with it", async () => {
      await store.commit(
        commitInput(keyA, 0, "alice", { principal: "user:alice", clientId: "t", mutationId: "t:1" }),
      );
      expect(
        (await store.readForWrite(keyA, { principal: "user:alice", clientId: "t", mutationId: "t:1" }))
          .mutation,
      ).toEqual({ rev: 1, contentHash: "h-alice" });
      // Another principal's identical key is another record: nothing is found, and its commit is not refused.
      expect(await committedAt(keyA, "t", "t:1", "user:bob")).toBeNull();
      await store.commit(
        commitInput(keyA, 1, "bob", { principal: "user:bob", clientId: "t", mutationId: "t:1" }),
      );
      expect(await committedAt(keyA, "t", "t:1", "user:bob")).toBe(2);
      expect(await committedAt(keyA, "t", "t:1", "user:alice")).toBe(1);
      // Principals that share a colon-separated prefix stay apart.
      expect(await committedAt(keyA, "t", "t:1", "user")).toBeNull();
    });

    it("never applies one (clientId, mutationId) twice, even from a fresh expected rev", async () => {
      await store.commit(commitInput(keyA, 0, "once", { clientId: "c", mutationId: "m" }));
      const again = await store
        .commit(commitInput(keyA, 1, "twice", { clientId: "c", mutationId: "m" }))
        .catch(() => ({ ok: false as const }));
      expect(again.ok).toBe(false);
      expect((await store.read(keyA))?.rev).toBe(1);
      expect(await committedAt(keyA, "c", "m")).toBe(1);
    });

    it("keeps workspaces apart: the same dashboard id in two workspaces are two documents", async () => {
      await commitMany(store, keyA, 3);
      expect(await store.read(keyB)).toBeNull();
      expect(await store.commit(commitInput(keyB, 0, "b"))).toEqual({ ok: true, rev: 1 });
      expect((await store.readVersion(keyA))?.rev).toBe(3);
      expect((await store.changesSince(keyB, 0))?.map((e) => e.rev)).toEqual([1]);
    });

    it("stores a large document (about 200 KiB) intact", async () => {
      const note = "x".repeat(1024);
      const state = stateWith("big");
      for (let i = 0; i < 200; i++) {
        state.widgets[`w${i}`] = {
          ...state.widgets.n!,
          id: `w${i}`,
          props: { markdown: `${i}${note}` },
        } as DashboardState["widgets"][string];
      }
      const input = { ...commitInput(keyA, 0, "big"), state };
      expect(await store.commit(input)).toEqual({ ok: true, rev: 1 });
      expect((await store.read(keyA))?.state).toEqual(state);
    });

    it("forgets an expired document: it starts again at rev 1 with a fresh log", async () => {
      await commitMany(store, keyA, 4);
      await commitMany(store, keyB, 1);
      await fixture.expire(keyA);
      expect(await store.read(keyA)).toBeNull();
      expect(await store.readVersion(keyA)).toBeNull();
      const input = commitInput(keyA, 0, "reborn");
      expect(await store.commit(input)).toEqual({ ok: true, rev: 1 });
      expect((await store.changesSince(keyA, 0))?.map((e) => e.ops)).toEqual([input.entry.ops]);
      expect((await store.readVersion(keyB))?.rev).toBe(1);
    });

    it("matches a sequential model under random interleavings of writers (property)", async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.record({ writer: fc.nat(3), lag: fc.nat(2) }), { minLength: 1, maxLength: 25 }),
          fc.integer({ min: 2, max: 8 }),
          async (steps, logLimit) => {
            const key = { workspaceId: "ws_p", dashboardId: `prop-${run++}` };
            const accepted: CommitInput[] = [];
            // Each writer commits against what it last saw, lagging behind by `lag` revs sometimes.
            for (const [i, step] of steps.entries()) {
              const rev = (await store.readVersion(key))?.rev ?? 0;
              const expectedRev = Math.max(0, rev - step.lag);
              const input = commitInput(key, expectedRev, `w${step.writer}-${i}`, {}, logLimit);
              const result = await store.commit(input);
              if (expectedRev === rev) {
                expect(result).toEqual({ ok: true, rev: rev + 1 });
                accepted.push(input);
              } else expect(result).toEqual({ ok: false, currentRev: rev });
            }
            const current = accepted.length;
            const document = await store.read(key);
            expect(document?.rev ?? 0).toBe(current);
            if (current > 0) expect(document?.state).toEqual(accepted.at(-1)?.state);
            const since = Math.max(0, current - logLimit);
            const entries = await store.changesSince(key, since);
            expect(entries?.map((e) => e.at)).toEqual(accepted.slice(since).map((a) => a.entry.at));
            if (since > 0) expect(await store.changesSince(key, since - 1)).toBeNull();
          },
        ),
        { numRuns: 30 },
      );
    });
  });
}
