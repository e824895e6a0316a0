import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteDashboardStore } from "../../src/dashboards/sqlite-dashboard-store.js";
import { openSqlite } from "../../src/storage/sqlite.js";
import { describeDashboardStore, SUITE_WORKSPACES } from "./dashboard-store-suite.js";

// Both commit modes of AGENTBOARD_DASHBOARD_SYNC keep the same contract; they differ only in the fsync.
for (const sync of ["full", "normal"] as const)
  describeDashboardStore(`SQLite (sync ${sync})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "agentboard-dashboard-store-"));
    const sqlite = await openSqlite(join(dir, "agentboard.sqlite"), { log: console });
    const store = new SqliteDashboardStore(sqlite, sync);
    const created_at = new Date().toISOString();
    await sqlite.db
      .insertInto("workspaces")
      .values(SUITE_WORKSPACES.map((id) => ({ id, name: id.replace("_", "-"), created_at })))
      .execute();
    return {
      store,
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
