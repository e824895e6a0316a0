import type { Kysely } from "kysely";
import type { Database } from "../storage/schema.js";
import { type DashboardDirectory, DIRECTORY_LIMIT, type DirectoryEntry } from "./dashboard-directory.js";

/**
 * Embedded DashboardDirectory: the rows SqliteDashboardStore writes to `dashboards`, by the table's primary
 * key (workspace_id, dashboard_id), so a listing reads one index range. Past its limit (DIRECTORY_LIMIT)
 * the first ones by id are kept.
 */
export class SqliteDashboardDirectory implements DashboardDirectory {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly limit = DIRECTORY_LIMIT,
  ) {}

  async list(workspaceId: string): Promise<DirectoryEntry[]> {
    const rows = await this.db
      .selectFrom("dashboards")
      .select(["dashboard_id", "rev", "updated_at"])
      .where("workspace_id", "=", workspaceId)
      .orderBy("dashboard_id", "asc")
      .limit(this.limit)
      .execute();
    return rows.map((row) => ({ dashboardId: row.dashboard_id, rev: row.rev, updatedAt: row.updated_at }));
  }
}
