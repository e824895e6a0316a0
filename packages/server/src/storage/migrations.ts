import { type Kysely, type Migration, type MigrationProvider, Migrator } from "kysely";

/**
 * Versioned schema migrations, in order. Each runs once (Kysely records them in `kysely_migration`); a
 * released migration is never edited, a change is a new entry. Written with the schema builder so the same
 * list runs on SQLite and PostgreSQL.
 */
const MIGRATIONS: Record<string, Migration> = {
  "001_identity_and_dashboards": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("workspaces")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("name", "text", (c) => c.notNull().unique())
        .addColumn("created_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createTable("principals")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id").onDelete("cascade"))
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("role", "text")
        .addColumn("scopes", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addUniqueConstraint("principals_workspace_kind_name", ["workspace_id", "kind", "name"])
        .execute();
      await db.schema
        .createTable("tokens")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("principal_id", "text", (c) => c.notNull().references("principals.id").onDelete("cascade"))
        .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id").onDelete("cascade"))
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("expires_at", "text")
        .addColumn("used_at", "text")
        .addColumn("revoked_at", "text")
        .execute();
      await db.schema
        .createTable("dashboards")
        .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id").onDelete("cascade"))
        .addColumn("dashboard_id", "text", (c) => c.notNull())
        .addColumn("rev", "integer", (c) => c.notNull())
        .addColumn("schema_version", "integer", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("dashboards_pk", ["workspace_id", "dashboard_id"])
        .execute();
      await db.schema.createIndex("dashboards_updated_at").on("dashboards").column("updated_at").execute();
      await db.schema
        .createTable("dashboard_patches")
        .addColumn("workspace_id", "text", (c) => c.notNull())
        .addColumn("dashboard_id", "text", (c) => c.notNull())
        .addColumn("rev", "integer", (c) => c.notNull())
        .addColumn("ops", "text", (c) => c.notNull())
        .addColumn("paths", "text", (c) => c.notNull())
        .addColumn("client_id", "text")
        .addColumn("mutation_id", "text")
        .addColumn("origin", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("dashboard_patches_pk", ["workspace_id", "dashboard_id", "rev"])
        .execute();
      await db.schema
        .createTable("dashboard_mutations")
        .addColumn("workspace_id", "text", (c) => c.notNull())
        .addColumn("dashboard_id", "text", (c) => c.notNull())
        .addColumn("client_id", "text", (c) => c.notNull())
        .addColumn("mutation_id", "text", (c) => c.notNull())
        .addColumn("rev", "integer", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("dashboard_mutations_pk", [
          "workspace_id",
          "dashboard_id",
          "client_id",
          "mutation_id",
        ])
        .execute();
      await db.schema
        .createIndex("dashboard_mutations_created_at")
        .on("dashboard_mutations")
        .column("created_at")
        .execute();
    },
  },
  "002_approvals": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("approvals")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id").onDelete("cascade"))
        .addColumn("type", "text", (c) => c.notNull())
        .addColumn("title", "text", (c) => c.notNull())
        .addColumn("description", "text")
        .addColumn("action", "text", (c) => c.notNull())
        .addColumn("args_hash", "text", (c) => c.notNull())
        .addColumn("confidence", "double precision")
        .addColumn("priority", "text", (c) => c.notNull())
        .addColumn("route", "text", (c) => c.notNull())
        .addColumn("status", "text", (c) => c.notNull())
        .addColumn("requested_by_kind", "text", (c) => c.notNull())
        .addColumn("requested_by_id", "text", (c) => c.notNull())
        .addColumn("decided_by_kind", "text")
        .addColumn("decided_by_id", "text")
        .addColumn("reason", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("expires_at", "text")
        .addColumn("on_timeout", "text", (c) => c.notNull())
        .addColumn("decided_at", "text")
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("idempotency_key", "text")
        // NULL keys never collide (SQL unique semantics), so requests without a key are unaffected.
        .addUniqueConstraint("approvals_idempotency", ["workspace_id", "requested_by_id", "idempotency_key"])
        .execute();
      await db.schema
        .createIndex("approvals_workspace_created")
        .on("approvals")
        .columns(["workspace_id", "created_at", "id"])
        .execute();
      await db.schema
        .createIndex("approvals_status_expires")
        .on("approvals")
        .columns(["status", "expires_at"])
        .execute();
      await db.schema
        .createTable("approval_audit")
        .addColumn("workspace_id", "text", (c) => c.notNull())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("approval_id", "text", (c) => c.notNull())
        .addColumn("at", "text", (c) => c.notNull())
        .addColumn("actor", "text", (c) => c.notNull())
        .addColumn("event", "text", (c) => c.notNull())
        .addColumn("from_status", "text")
        .addColumn("to_status", "text", (c) => c.notNull())
        .addColumn("reason", "text")
        .addColumn("details", "text")
        .addColumn("prev_hash", "text", (c) => c.notNull())
        .addColumn("hash", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("approval_audit_pk", ["workspace_id", "seq"])
        .execute();
      await db.schema
        .createIndex("approval_audit_approval")
        .on("approval_audit")
        .columns(["workspace_id", "approval_id", "seq"])
        .execute();
      await db.schema
        .createTable("audit_heads")
        .addColumn("workspace_id", "text", (c) => c.primaryKey())
        .addColumn("seq", "integer", (c) => c.notNull())
        .addColumn("hash", "text", (c) => c.notNull())
        .execute();
    },
  },
  /**
   * Idempotency records belong to the principal that wrote them and to the request's content (issue 13:
   * another member reusing a (clientId, mutationId) made the owner's next edit vanish with an ack). The old
   * records only served client retries of the last day and cannot be attributed, so they are dropped.
   */
  "003_dashboard_mutation_owner": {
    async up(db: Kysely<unknown>) {
      await db.schema.dropTable("dashboard_mutations").execute();
      await db.schema
        .createTable("dashboard_mutations")
        .addColumn("workspace_id", "text", (c) => c.notNull())
        .addColumn("dashboard_id", "text", (c) => c.notNull())
        .addColumn("principal", "text", (c) => c.notNull())
        .addColumn("client_id", "text", (c) => c.notNull())
        .addColumn("mutation_id", "text", (c) => c.notNull())
        .addColumn("rev", "integer", (c) => c.notNull())
        .addColumn("content_hash", "text", (c) => c.notNull())
        .addColumn("created_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("dashboard_mutations_pk", [
          "workspace_id",
          "dashboard_id",
          "principal",
          "client_id",
          "mutation_id",
        ])
        .execute();
      await db.schema
        .createIndex("dashboard_mutations_created_at")
        .on("dashboard_mutations")
        .column("created_at")
        .execute();
    },
  },
  /**
   * Revocation reaches what is already open (issue 13): tokens get a last-used time for `GET /api/tokens`,
   * and the embedded server asks "which tokens were revoked since T" several times a second (how a
   * revocation made by the CLI, another process, reaches its open sockets): the index keeps that a seek.
   */
  "004_token_last_used_and_revocation": {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("tokens").addColumn("last_used_at", "text").execute();
      await db.schema.createIndex("tokens_revoked_at").on("tokens").column("revoked_at").execute();
      await db.schema.createIndex("tokens_principal").on("tokens").column("principal_id").execute();
    },
  },
  /**
   * An approval's idempotency key is bound to the request's content (issue 13): `request_hash` is the
   * SHA-256 of the canonical create body without the key. Rows from before have none; for them a repeated
   * key is still compared the old way (type and argsHash).
   */
  "005_approval_request_hash": {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable("approvals").addColumn("request_hash", "text").execute();
    },
  },
  /**
   * Gated upstream MCP tool calls (issue 15): one row per approval of type `mcp.tool_call`, shared by every
   * node, so the call runs once (the node that moves `awaiting` → `running` runs it) and every retry, on
   * any node, gets the recorded result.
   */
  "006_mcp_tool_calls": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("mcp_tool_calls")
        .addColumn("approval_id", "text", (c) => c.primaryKey())
        .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id").onDelete("cascade"))
        .addColumn("principal_id", "text", (c) => c.notNull())
        .addColumn("tool", "text", (c) => c.notNull())
        .addColumn("call_key", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("result", "text")
        .addColumn("claimed_by", "text")
        .addColumn("claimed_at", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("finished_at", "text")
        .execute();
      await db.schema
        .createIndex("mcp_tool_calls_key")
        .on("mcp_tool_calls")
        .columns(["workspace_id", "call_key"])
        .execute();
    },
  },
  /**
   * The agent directory (issue 16): one card per agent of a workspace. A local agent's row (id = its
   * principal's id) holds only what admins edited over the principal; a remote A2A agent's row is the whole
   * record: its fetched card and the prober's state (hysteresis counters, EWMA latency, next probe), kept
   * here so whichever node sweeps next continues from it.
   */
  "007_agents": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("agents")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id").onDelete("cascade"))
        .addColumn("kind", "text", (c) => c.notNull())
        .addColumn("name", "text", (c) => c.notNull())
        .addColumn("display_name", "text")
        .addColumn("description", "text")
        .addColumn("icon_url", "text")
        .addColumn("role", "text")
        .addColumn("aliases", "text")
        .addColumn("skills", "text")
        .addColumn("card_url", "text")
        .addColumn("card", "text")
        .addColumn("status", "text", (c) => c.notNull().defaultTo("unknown"))
        .addColumn("latency_ms", "double precision")
        .addColumn("checked_at", "text")
        .addColumn("failures", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("successes", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("next_probe_at", "text")
        .addColumn("created_at", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex("agents_workspace")
        .on("agents")
        .columns(["workspace_id", "kind"])
        .execute();
      await db.schema
        .createIndex("agents_card_url")
        .on("agents")
        .columns(["workspace_id", "card_url"])
        .unique()
        .execute();
    },
  },
  /**
   * agentboard as an A2A agent (issue 16): the tasks of `/a2a`, one row per (owner principal, task id) so
   * another principal's task id is simply not found. `approval_id` links a `request_approval` task to its
   * approval: the task's state follows the approval's lifecycle on every node and after a restart.
   */
  "008_a2a_tasks": {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable("a2a_tasks")
        .addColumn("owner", "text", (c) => c.notNull())
        .addColumn("id", "text", (c) => c.notNull())
        .addColumn("workspace_id", "text", (c) => c.notNull().references("workspaces.id").onDelete("cascade"))
        .addColumn("owner_kind", "text", (c) => c.notNull())
        .addColumn("approval_id", "text")
        .addColumn("state", "text", (c) => c.notNull())
        .addColumn("task", "text", (c) => c.notNull())
        .addColumn("updated_at", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("a2a_tasks_pk", ["owner", "id"])
        .execute();
      await db.schema.createIndex("a2a_tasks_approval").on("a2a_tasks").columns(["approval_id"]).execute();
    },
  },
};

class InlineMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

/**
 * Brings the schema up to date. On PostgreSQL pass `migrationTableSchema` (the schema the tables live in):
 * Kysely looks for its bookkeeping tables in every schema unless told which one, so a second agentboard
 * schema in the same database (another deployment, a test run) would make it skip creating its own.
 */
export async function migrateToLatest(
  db: Kysely<unknown>,
  options: { migrationTableSchema?: string } = {},
): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: new InlineMigrationProvider(),
    ...(options.migrationTableSchema ? { migrationTableSchema: options.migrationTableSchema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new Error(
      `database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
}

export const MIGRATION_NAMES = Object.keys(MIGRATIONS);
