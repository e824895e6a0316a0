import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultDashboardState } from "@agentboard/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CommitInput } from "../../src/dashboards/dashboard-store.js";
import { SqliteDashboardStore } from "../../src/dashboards/sqlite-dashboard-store.js";
import { openSqlite, type SqliteHandle } from "../../src/storage/sqlite.js";

/** What the conformance suite cannot see: how the SQLite store shares its one connection with Kysely. */
describe("SqliteDashboardStore on the shared connection", () => {
  let dir: string;
  let sqlite: SqliteHandle;
  const key = { workspaceId: "ws_sqlite", dashboardId: "main" };
  const commitInput = (expectedRev: number): CommitInput => ({
    key,
    expectedRev,
    state: defaultDashboardState(),
    entry: { ops: [], paths: [], origin: { principal: "user:u1" }, at: new Date().toISOString() },
    logLimit: 10,
  });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "agentboard-sqlite-store-"));
    sqlite = await openSqlite(join(dir, "agentboard.sqlite"), { log: console });
    await sqlite.db
      .insertInto("workspaces")
      .values({ id: key.workspaceId, name: "sqlite", created_at: new Date().toISOString() })
      .execute();
  });
  afterEach(async () => {
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const synchronous = () =>
    sqlite.exclusive((connection) => connection.pragma("synchronous", { simple: true }) as number);

  it("commits dashboards without an fsync in normal mode but leaves the connection at FULL for the rest", async () => {
    const store = new SqliteDashboardStore(sqlite, "normal");
    expect(await synchronous()).toBe(2);
    expect(await store.commit(commitInput(0))).toEqual({ ok: true, rev: 1 });
    // Approvals, audit and tokens share this connection and must still fsync every commit.
    expect(await synchronous()).toBe(2);
    // A failed compare-and-set restores it too.
    expect(await store.commit(commitInput(0))).toEqual({ ok: false, currentRev: 1 });
    expect(await synchronous()).toBe(2);
  });

  it("waits for a Kysely transaction in progress instead of running inside it", async () => {
    const store = new SqliteDashboardStore(sqlite, "normal");
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const transaction = sqlite.db
      .transaction()
      .execute(async (trx) => {
        await trx
          .insertInto("workspaces")
          .values({ id: "ws_rolled_back", name: "rolled-back", created_at: new Date().toISOString() })
          .execute();
        entered();
        await released;
        throw new Error("roll back");
      })
      .catch((error: Error) => error.message);
    await inside;
    // Issued while the transaction is open: it must queue behind it, not become part of it.
    const commit = store.commit(commitInput(0));
    release();
    expect(await transaction).toBe("roll back");
    expect(await commit).toEqual({ ok: true, rev: 1 });
    expect(await store.readVersion(key)).toMatchObject({ rev: 1 });
    const rolledBack = await sqlite.db
      .selectFrom("workspaces")
      .select("id")
      .where("id", "=", "ws_rolled_back")
      .executeTakeFirst();
    expect(rolledBack).toBeUndefined();
  });
});
