import type { Kysely } from "kysely";
import type { Database } from "../storage/schema.js";
import type {
  CommitInput,
  CommitResult,
  DashboardKey,
  DashboardStore,
  PatchLogEntry,
  StoredDashboard,
} from "./dashboard-store.js";

/** Embedded DashboardStore: one SQLite transaction per commit (WAL, synchronous=FULL: durable on return). */
export class SqliteDashboardStore implements DashboardStore {
  constructor(private readonly db: Kysely<Database>) {}

  async read(key: DashboardKey): Promise<StoredDashboard | null> {
    const row = await this.db
      .selectFrom("dashboards")
      .select(["rev", "schema_version", "state", "updated_at"])
      .where("workspace_id", "=", key.workspaceId)
      .where("dashboard_id", "=", key.dashboardId)
      .executeTakeFirst();
    if (!row) return null;
    return {
      rev: row.rev,
      schemaVersion: row.schema_version,
      state: JSON.parse(row.state),
      updatedAt: row.updated_at,
    };
  }

  async readVersion(key: DashboardKey): Promise<{ rev: number; updatedAt: string } | null> {
    const row = await this.db
      .selectFrom("dashboards")
      .select(["rev", "updated_at"])
      .where("workspace_id", "=", key.workspaceId)
      .where("dashboard_id", "=", key.dashboardId)
      .executeTakeFirst();
    return row ? { rev: row.rev, updatedAt: row.updated_at } : null;
  }

  async commit(input: CommitInput): Promise<CommitResult> {
    const { key, expectedRev, state, entry, logLimit } = input;
    return this.db.transaction().execute(async (trx) => {
      const current = await trx
        .selectFrom("dashboards")
        .select("rev")
        .where("workspace_id", "=", key.workspaceId)
        .where("dashboard_id", "=", key.dashboardId)
        .executeTakeFirst();
      const currentRev = current?.rev ?? 0;
      if (currentRev !== expectedRev) return { ok: false, currentRev } as const;
      const rev = currentRev + 1;
      const row = {
        rev,
        schema_version: state.schemaVersion,
        state: JSON.stringify(state),
        updated_at: entry.at,
      };
      if (current) {
        await trx
          .updateTable("dashboards")
          .set(row)
          .where("workspace_id", "=", key.workspaceId)
          .where("dashboard_id", "=", key.dashboardId)
          .execute();
      } else {
        await trx
          .insertInto("dashboards")
          .values({ workspace_id: key.workspaceId, dashboard_id: key.dashboardId, ...row })
          .execute();
      }
      await trx
        .insertInto("dashboard_patches")
        .values({
          workspace_id: key.workspaceId,
          dashboard_id: key.dashboardId,
          rev,
          ops: JSON.stringify(entry.ops),
          paths: JSON.stringify(entry.paths),
          client_id: entry.origin.clientId ?? null,
          mutation_id: entry.origin.mutationId ?? null,
          origin: entry.origin.principal,
          created_at: entry.at,
        })
        .execute();
      // Bounded log: trimming by rev keeps exactly the newest `logLimit` entries without counting rows.
      await trx
        .deleteFrom("dashboard_patches")
        .where("workspace_id", "=", key.workspaceId)
        .where("dashboard_id", "=", key.dashboardId)
        .where("rev", "<=", rev - logLimit)
        .execute();
      if (entry.origin.clientId && entry.origin.mutationId) {
        await trx
          .insertInto("dashboard_mutations")
          .values({
            workspace_id: key.workspaceId,
            dashboard_id: key.dashboardId,
            client_id: entry.origin.clientId,
            mutation_id: entry.origin.mutationId,
            rev,
            created_at: entry.at,
          })
          .execute();
      }
      return { ok: true, rev } as const;
    });
  }

  async changesSince(key: DashboardKey, sinceRev: number): Promise<PatchLogEntry[] | null> {
    const [doc, rows] = await Promise.all([
      this.db
        .selectFrom("dashboards")
        .select("rev")
        .where("workspace_id", "=", key.workspaceId)
        .where("dashboard_id", "=", key.dashboardId)
        .executeTakeFirst(),
      this.db
        .selectFrom("dashboard_patches")
        .selectAll()
        .where("workspace_id", "=", key.workspaceId)
        .where("dashboard_id", "=", key.dashboardId)
        .where("rev", ">", sinceRev)
        .orderBy("rev", "asc")
        .execute(),
    ]);
    const currentRev = doc?.rev ?? 0;
    if (sinceRev >= currentRev) return [];
    // The log reaches back far enough only if it holds every rev from sinceRev + 1 on.
    if (rows.length !== currentRev - sinceRev || rows[0]?.rev !== sinceRev + 1) return null;
    return rows.map((row) => ({
      rev: row.rev,
      ops: JSON.parse(row.ops),
      paths: JSON.parse(row.paths),
      origin: {
        principal: row.origin,
        ...(row.client_id ? { clientId: row.client_id } : {}),
        ...(row.mutation_id ? { mutationId: row.mutation_id } : {}),
      },
      at: row.created_at,
    }));
  }

  async findMutation(key: DashboardKey, clientId: string, mutationId: string): Promise<number | null> {
    const row = await this.db
      .selectFrom("dashboard_mutations")
      .select("rev")
      .where("workspace_id", "=", key.workspaceId)
      .where("dashboard_id", "=", key.dashboardId)
      .where("client_id", "=", clientId)
      .where("mutation_id", "=", mutationId)
      .executeTakeFirst();
    return row?.rev ?? null;
  }

  async dropExpired(before: Date): Promise<number> {
    const cutoff = before.toISOString();
    return this.db.transaction().execute(async (trx) => {
      const stale = await trx
        .selectFrom("dashboards")
        .select(["workspace_id", "dashboard_id"])
        .where("updated_at", "<", cutoff)
        .execute();
      for (const row of stale) {
        for (const table of ["dashboards", "dashboard_patches", "dashboard_mutations"] as const) {
          await trx
            .deleteFrom(table)
            .where("workspace_id", "=", row.workspace_id)
            .where("dashboard_id", "=", row.dashboard_id)
            .execute();
        }
      }
      // Idempotency records only need to outlive client retries; old ones of live documents go too.
      await trx.deleteFrom("dashboard_mutations").where("created_at", "<", cutoff).execute();
      return stale.length;
    });
  }

  async ping(): Promise<void> {
    await this.db.selectFrom("dashboards").select("rev").limit(1).execute();
  }
}
