import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteDashboardDirectory } from "../../src/dashboards/sqlite-dashboard-directory.js";
import { SqliteDashboardStore } from "../../src/dashboards/sqlite-dashboard-store.js";
import { openSqlite } from "../../src/storage/sqlite.js";
import { DIRECTORY_WORKSPACES, describeDashboardDirectory } from "./dashboard-directory-suite.js";

describeDashboardDirectory("SQLite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "agentboard-dashboard-directory-"));
  const sqlite = await openSqlite(join(dir, "agentboard.sqlite"), { log: console });
  const store = new SqliteDashboardStore(sqlite, "normal");
  const created_at = new Date().toISOString();
  await sqlite.db
    .insertInto("workspaces")
    .values(DIRECTORY_WORKSPACES.map((id) => ({ id, name: id.replace("_", "-"), created_at })))
    .execute();
  return {
    store,
    directory: new SqliteDashboardDirectory(sqlite.db),
    limited: (limit) => new SqliteDashboardDirectory(sqlite.db, limit),
    async expire(key) {
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
});
