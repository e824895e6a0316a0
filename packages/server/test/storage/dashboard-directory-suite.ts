import { defaultDashboardState } from "@agentboard/protocol";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DashboardDirectory } from "../../src/dashboards/dashboard-directory.js";
import type { DashboardKey, DashboardStore } from "../../src/dashboards/dashboard-store.js";

/** A store and the directory over the same documents, both empty; `close` removes everything written. */
export interface DashboardDirectoryFixture {
  store: DashboardStore;
  /** The directory with its default limit. */
  directory: DashboardDirectory;
  /** The same directory with a limit of `limit` documents. */
  limited(limit: number): DashboardDirectory;
  /** Makes a document expire as the store does it (SQLite's sweep, Redis's TTL). */
  expire(key: DashboardKey): Promise<void>;
  close(): Promise<void>;
}

/** The workspaces the suite writes to (a store with foreign keys needs them first). */
export const DIRECTORY_WORKSPACES = ["ws_a", "ws_b", "ws_empty"] as const;

let clock = 0;
const at = () => new Date(Date.UTC(2026, 0, 1) + ++clock * 1000).toISOString();

/** Writes `times` commits to the document; returns the last commit's time. */
async function write(store: DashboardStore, key: DashboardKey, times = 1): Promise<string> {
  let last = "";
  for (let i = 0; i < times; i++) {
    const rev = (await store.readVersion(key))?.rev ?? 0;
    last = at();
    const result = await store.commit({
      key,
      expectedRev: rev,
      state: defaultDashboardState(),
      entry: { ops: [], paths: [], origin: { principal: "user:u1" }, at: last },
      logLimit: 10,
    });
    expect(result).toEqual({ ok: true, rev: rev + 1 });
  }
  return last;
}

const byId = (a: { dashboardId: string }, b: { dashboardId: string }) =>
  a.dashboardId < b.dashboardId ? -1 : a.dashboardId > b.dashboardId ? 1 : 0;

/**
 * The behaviour every DashboardDirectory must have (SQLite embedded, Redis in cluster mode): it lists the
 * documents its store wrote for one workspace, with their rev and updatedAt, and nothing of any other.
 */
export function describeDashboardDirectory(
  name: string,
  open: () => Promise<DashboardDirectoryFixture>,
): void {
  describe(`DashboardDirectory conformance: ${name}`, () => {
    let fixture: DashboardDirectoryFixture;
    beforeEach(async () => {
      fixture = await open();
    });
    afterEach(async () => fixture.close());

    it("lists nothing for a workspace without documents", async () => {
      expect(await fixture.directory.list("ws_empty")).toEqual([]);
      expect(await fixture.directory.list("ws_never_seen")).toEqual([]);
    });

    it("lists every document of the workspace with its rev and updatedAt, and none of another", async () => {
      const { store, directory } = fixture;
      const ops = await write(store, { workspaceId: "ws_a", dashboardId: "ops" }, 3);
      const personal = await write(store, { workspaceId: "ws_a", dashboardId: "user:usr_1" });
      const team = await write(store, { workspaceId: "ws_a", dashboardId: "team-x" }, 2);
      const other = await write(store, { workspaceId: "ws_b", dashboardId: "ops" });

      expect((await directory.list("ws_a")).sort(byId)).toEqual([
        { dashboardId: "ops", rev: 3, updatedAt: ops },
        { dashboardId: "team-x", rev: 2, updatedAt: team },
        { dashboardId: "user:usr_1", rev: 1, updatedAt: personal },
      ]);
      expect(await directory.list("ws_b")).toEqual([{ dashboardId: "ops", rev: 1, updatedAt: other }]);
      expect(await directory.list("ws_empty")).toEqual([]);
    });

    it("no longer lists a document once it expired", async () => {
      const { store, directory } = fixture;
      await write(store, { workspaceId: "ws_a", dashboardId: "old" });
      const kept = await write(store, { workspaceId: "ws_a", dashboardId: "kept" });
      await fixture.expire({ workspaceId: "ws_a", dashboardId: "old" });
      expect(await directory.list("ws_a")).toEqual([{ dashboardId: "kept", rev: 1, updatedAt: kept }]);
    });

    it("stops at its limit", async () => {
      const { store } = fixture;
      const ids = ["d1", "d2", "d3", "d4", "d5"];
      for (const dashboardId of ids) await write(store, { workspaceId: "ws_a", dashboardId });
      const listed = await fixture.limited(3).list("ws_a");
      expect(listed).toHaveLength(3);
      expect(new Set(listed.map((entry) => entry.dashboardId)).size).toBe(3);
      for (const entry of listed) expect(ids).toContain(entry.dashboardId);
      expect(await fixture.directory.list("ws_a")).toHaveLength(5);
    });
  });
}
