import { takeDashboardStateJson } from "@agentboard/protocol";
import type SqliteDatabase from "better-sqlite3";
import type { Kysely } from "kysely";
import type { Database } from "../storage/schema.js";
import type { SqliteHandle } from "../storage/sqlite.js";
import type {
  CommitInput,
  CommitResult,
  DashboardKey,
  DashboardStore,
  DocumentVersion,
  MutationKey,
  PatchLogEntry,
  StoredDashboard,
  WriteBase,
} from "./dashboard-store.js";

/**
 * How a dashboard commit reaches the disk. `full`: the WAL is fsynced before the commit returns (survives a
 * power loss). `normal`: the commit is in the WAL (survives a crash or kill -9 of the process, never corrupts)
 * and is fsynced at the next checkpoint, so a power loss or OS crash can lose the last moments of dashboard
 * edits. Approvals, audit rows and tokens always commit with `full`.
 */
export type DashboardSync = "full" | "normal";

/** The statements every write runs, prepared once (see the class comment). */
interface WriteStatements {
  version: SqliteDatabase.Statement<[string, string], { rev: number; updated_at: string }>;
  mutation: SqliteDatabase.Statement<
    [string, string, string, string, string],
    { rev: number; content_hash: string }
  >;
  commit: (input: CommitInput) => CommitResult;
  syncNormal: SqliteDatabase.Statement;
  syncFull: SqliteDatabase.Statement;
}

/**
 * Embedded DashboardStore: one SQLite transaction per commit (WAL). The statements of the write path (version
 * check, idempotency lookup, the commit transaction) are prepared once and run synchronously under the
 * connection lock: building each query with Kysely and preparing it anew cost more CPU than the writes
 * themselves (`npm run bench:patch` measures this path). The rest (reads, catch-up, expiry) uses Kysely.
 */
export class SqliteDashboardStore implements DashboardStore {
  private readonly db: Kysely<Database>;
  private statements: WriteStatements | undefined;

  constructor(
    private readonly sqlite: Pick<SqliteHandle, "db" | "exclusive">,
    private readonly sync: DashboardSync,
  ) {
    this.db = sqlite.db;
  }

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

  readVersion(key: DashboardKey): Promise<DocumentVersion | null> {
    return this.sqlite.exclusive((connection) => this.version(this.prepared(connection), key));
  }

  readForWrite(key: DashboardKey, mutation?: MutationKey): Promise<WriteBase> {
    return this.sqlite.exclusive((connection) => {
      const statements = this.prepared(connection);
      const committed =
        mutation &&
        statements.mutation.get(
          key.workspaceId,
          key.dashboardId,
          mutation.principal,
          mutation.clientId,
          mutation.mutationId,
        );
      return {
        version: this.version(statements, key),
        mutation: committed ? { rev: committed.rev, contentHash: committed.content_hash } : null,
      };
    });
  }

  private version(statements: WriteStatements, key: DashboardKey): DocumentVersion | null {
    const row = statements.version.get(key.workspaceId, key.dashboardId);
    return row ? { rev: row.rev, updatedAt: row.updated_at } : null;
  }

  commit(input: CommitInput): Promise<CommitResult> {
    return this.sqlite.exclusive((connection) => {
      const statements = this.prepared(connection);
      if (this.sync === "full") return statements.commit(input);
      // The connection stays FULL for everything else; only this commit skips the fsync.
      statements.syncNormal.run();
      try {
        return statements.commit(input);
      } finally {
        statements.syncFull.run();
      }
    });
  }

  private prepared(connection: SqliteDatabase.Database): WriteStatements {
    if (this.statements) return this.statements;
    const current = connection.prepare<[string, string], { rev: number }>(
      "select rev from dashboards where workspace_id = ? and dashboard_id = ?",
    );
    const update = connection.prepare(
      "update dashboards set rev = ?, schema_version = ?, state = ?, updated_at = ? where workspace_id = ? and dashboard_id = ?",
    );
    const insert = connection.prepare(
      "insert into dashboards (workspace_id, dashboard_id, rev, schema_version, state, updated_at) values (?, ?, ?, ?, ?, ?)",
    );
    const logEntry = connection.prepare(
      "insert into dashboard_patches (workspace_id, dashboard_id, rev, ops, paths, client_id, mutation_id, origin, created_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    );
    // Bounded log: trimming by rev keeps exactly the newest `logLimit` entries without counting rows.
    const trimLog = connection.prepare(
      "delete from dashboard_patches where workspace_id = ? and dashboard_id = ? and rev <= ?",
    );
    const recordMutation = connection.prepare(
      "insert into dashboard_mutations (workspace_id, dashboard_id, principal, client_id, mutation_id, rev, content_hash, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
    );
    const commit = connection.transaction((input: CommitInput): CommitResult => {
      const { key, expectedRev, state, entry, logLimit, mutation } = input;
      const { workspaceId, dashboardId } = key;
      const found = current.get(workspaceId, dashboardId);
      const currentRev = found?.rev ?? 0;
      if (currentRev !== expectedRev) return { ok: false, currentRev };
      const rev = currentRev + 1;
      // Serialised once per write: the size check already made this text (large documents).
      const serialised = takeDashboardStateJson(state);
      if (found) update.run(rev, state.schemaVersion, serialised, entry.at, workspaceId, dashboardId);
      else insert.run(workspaceId, dashboardId, rev, state.schemaVersion, serialised, entry.at);
      const { clientId, mutationId, principal } = entry.origin;
      logEntry.run(
        workspaceId,
        dashboardId,
        rev,
        JSON.stringify(entry.ops),
        JSON.stringify(entry.paths),
        clientId ?? null,
        mutationId ?? null,
        principal,
        entry.at,
      );
      trimLog.run(workspaceId, dashboardId, rev - logLimit);
      if (mutation) {
        recordMutation.run(
          workspaceId,
          dashboardId,
          mutation.principal,
          mutation.clientId,
          mutation.mutationId,
          rev,
          mutation.contentHash,
          entry.at,
        );
      }
      return { ok: true, rev };
    });
    this.statements = {
      version: connection.prepare(
        "select rev, updated_at from dashboards where workspace_id = ? and dashboard_id = ?",
      ),
      mutation: connection.prepare(
        "select rev, content_hash from dashboard_mutations where workspace_id = ? and dashboard_id = ? and principal = ? and client_id = ? and mutation_id = ?",
      ),
      commit,
      syncNormal: connection.prepare("pragma synchronous = NORMAL"),
      syncFull: connection.prepare("pragma synchronous = FULL"),
    };
    return this.statements;
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
