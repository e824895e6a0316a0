import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteDashboardStore } from "../../src/dashboards/sqlite-dashboard-store.js";
import { openSqlite } from "../../src/storage/sqlite.js";

/**
 * A SQLite dashboard store in a fresh temporary file with the given workspaces, for the store and directory
 * conformance suites: `expire` ages a document past the hourly sweep's cutoff and runs the sweep.
 */
export async function openSqliteDashboardFixture(
  sync: "full" | "normal",
  workspaces: readonly string[],
  prefix: string,
) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const sqlite = await openSqlite(join(dir, "agentboard.sqlite"), { log: console });
  const store = new SqliteDashboardStore(sqlite, sync);
  const created_at = new Date().toISOString();
  await sqlite.db
    .insertInto("workspaces")
    .values(workspaces.map((id) => ({ id, name: id.replace("_", "-"), created_at })))
    .execute();
  return {
    sqlite,
    store,
    async expire(key: { workspaceId: string; dashboardId: string }) {
      // The hourly sweep drops documents last written before the cutoff: age this one past it.
      await sqlite.db
        .updateTable("dashboards")
        .set({ updated_at: "2000-01-01T00:00:00.000Z" })
        .where("workspace_id", "=", key.workspaceId)
        .where("dashboard_id", "=", key.dashboardId)
        .execute();
      await store.dropExpired(new Date("2001-01-01T00:00:00.000Z"));
    },
    async close() {
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
