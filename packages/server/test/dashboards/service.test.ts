import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentboardError, type JsonPatchOp } from "@agentboard/protocol";
import { deletePrefix, randomPrefix, sharedRedis } from "@agentboard/test-support";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DashboardService } from "../../src/dashboards/dashboard-service.js";
import type { DashboardKey, DashboardStore } from "../../src/dashboards/dashboard-store.js";
import { RedisDashboardStore } from "../../src/dashboards/redis-dashboard-store.js";
import { SqliteDashboardStore } from "../../src/dashboards/sqlite-dashboard-store.js";
import { InProcessEventBus } from "../../src/events/event-bus.js";
import { openSqlite, type SqliteHandle } from "../../src/storage/sqlite.js";

/**
 * The service's write path over a real store, with two services on one store standing for two nodes. Each
 * keeps the documents it last loaded or wrote in memory; these tests show that its answers stay those of
 * the stored document when that moved on elsewhere, expired, or already has the mutation.
 */
interface Backend {
  store: DashboardStore;
  /** Drops the document as expiry would (its rev starts again at 1). */
  forget(key: DashboardKey): Promise<void>;
  close(): Promise<void>;
}

const { redis, admin } = sharedRedis();

const backends: Record<string, () => Promise<Backend>> = {
  SQLite: async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentboard-service-"));
    const sqlite: SqliteHandle = await openSqlite(join(dir, "agentboard.sqlite"), { log: console });
    await sqlite.db
      .insertInto("workspaces")
      .values({ id: "ws_service", name: "service", created_at: new Date().toISOString() })
      .execute();
    const store = new SqliteDashboardStore(sqlite, "normal");
    return {
      store,
      forget: async () => {
        await store.dropExpired(new Date(Date.now() + 86_400_000));
      },
      close: async () => {
        await sqlite.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  Redis: async () => {
    const prefix = randomPrefix();
    const store = new RedisDashboardStore({ redis, prefix, stateTtlDays: 30 });
    return {
      store,
      forget: async (key) => {
        await admin.del(store.keyOf(key, "doc"), store.keyOf(key, "log"));
      },
      close: () => deletePrefix(admin, prefix),
    };
  },
};

const note = (markdown: string) => ({ type: "note" as const, title: "Note", props: { markdown } });
const key: DashboardKey = { workspaceId: "ws_service", dashboardId: "main" };
const markdown = (text: string): JsonPatchOp => ({
  op: "replace",
  path: "/widgets/w/props/markdown",
  value: text,
});
const title = (text: string): JsonPatchOp => ({ op: "replace", path: "/widgets/w/title", value: text });

async function errorOf(promise: Promise<unknown>): Promise<AgentboardError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!AgentboardError.isInstance(error)) throw new Error(`expected an AgentboardError, got ${error}`);
  return error;
}

for (const [name, open] of Object.entries(backends)) {
  describe(`DashboardService writes (${name})`, () => {
    let backend: Backend;
    let node1: DashboardService;
    let node2: DashboardService;

    beforeEach(async () => {
      backend = await open();
      // Each "node" publishes on a bus of its own; nothing here follows them.
      const service = () =>
        new DashboardService({
          store: backend.store,
          patchLogLimit: 100,
          bus: new InProcessEventBus(() => {}),
        });
      node1 = service();
      node2 = service();
    });
    afterEach(async () => backend.close());

    it("decides on the stored document when another node wrote since: a conflict, then a rebase", async () => {
      const { rev } = await node1.upsertWidget(key, "w", note("a"), "user:u1");
      await node1.patch(key, { baseRev: rev, ops: [markdown("mine")] }, "user:u1");
      // Node 2 writes; node 1 still holds rev + 1 in memory.
      await node2.patch(key, { baseRev: rev + 1, ops: [markdown("theirs")] }, "user:u2");
      const refused = await errorOf(
        node1.patch(key, { baseRev: rev + 1, ops: [markdown("mine again")] }, "user:u1"),
      );
      expect(refused.code).toBe("conflict");
      expect(refused.details).toMatchObject({ rev: rev + 2, paths: ["/widgets/w/props/markdown"] });
      // A change to another path rebases onto node 2's write instead of undoing it.
      expect(await node1.patch(key, { baseRev: rev + 1, ops: [title("T")] }, "user:u1")).toEqual({
        rev: rev + 3,
      });
      const doc = await node2.get(key);
      expect(doc.state.widgets.w).toMatchObject({ title: "T", props: { markdown: "theirs" } });
    });

    it("answers a replayed mutation with its first rev, from memory and across nodes", async () => {
      const { rev } = await node1.upsertWidget(key, "w", note("a"), "user:u1");
      const once = { baseRev: rev, ops: [markdown("once")], clientId: "c1", mutationId: "m1" };
      expect(await node1.patch(key, once, "user:u1")).toEqual({ rev: rev + 1 });
      // Same base, and a base that would now conflict: both are the same mutation, applied once.
      expect(await node1.patch(key, once, "user:u1")).toEqual({ rev: rev + 1, replayed: true });
      expect(await node1.patch(key, { ...once, baseRev: rev + 1 }, "user:u1")).toEqual({
        rev: rev + 1,
        replayed: true,
      });
      // Committed through node 2 while node 1 holds an older rev: node 1 must not apply it again.
      const elsewhere = { baseRev: rev + 1, ops: [title("x")], clientId: "c1", mutationId: "m2" };
      expect(await node2.patch(key, elsewhere, "user:u1")).toEqual({ rev: rev + 2 });
      expect(await node1.patch(key, elsewhere, "user:u1")).toEqual({ rev: rev + 2, replayed: true });
      expect((await node2.get(key)).rev).toBe(rev + 2);
    });

    it("never writes a held state over a document that expired and was written again to the same rev", async () => {
      await node1.upsertWidget(key, "w", note("old"), "user:u1");
      const held = await node1.patch(key, { baseRev: 1, ops: [markdown("old 2")] }, "user:u1");
      expect(held).toEqual({ rev: 2 });
      await backend.forget(key);
      // Node 2 writes the document anew up to the same rev, with other content.
      await node2.upsertWidget(key, "w", note("new"), "user:u2");
      await node2.patch(key, { baseRev: 1, ops: [title("new title")] }, "user:u2");
      expect(await node1.patch(key, { baseRev: 2, ops: [markdown("new 3")] }, "user:u1")).toEqual({ rev: 3 });
      expect((await node2.get(key)).state.widgets.w).toMatchObject({
        title: "new title",
        props: { markdown: "new 3" },
      });
    });
  });
}
