import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { migrateToLatest } from "./migrations.js";
import type { Database } from "./schema.js";

export interface PostgresOptions {
  /** postgres:// URL (AGENTBOARD_DATABASE_URL); its query parameters (`options`, `sslmode`…) reach pg as is. */
  url: string;
  /**
   * Schema the tables live in, created if missing (tests and shared databases use one per deployment).
   * Without it the connection's search_path decides (usually `public`).
   */
  schema?: string;
  /** Connections per node (default 10). */
  poolSize?: number;
  /** A new connection that takes longer fails (default 2 s): requests answer 503 instead of queueing. */
  connectTimeoutMs?: number;
  /** Longest statement, enforced by the server (statement_timeout) and the client (query_timeout); default 5 s. */
  queryTimeoutMs?: number;
  log: { warn(details: object, message: string): void };
}

export interface PostgresHandle {
  db: Kysely<Database>;
  /** The schema the tables are in (current_schema() of the pool's connections). */
  schema: string;
  close(): Promise<void>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The URL without its password, for error messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable URL)";
  }
}

function poolConfig(options: PostgresOptions, timeouts: boolean): pg.PoolConfig {
  const queryTimeoutMs = options.queryTimeoutMs ?? 5_000;
  return {
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 2_000,
    application_name: "agentboard",
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    ...(timeouts
      ? {
          statement_timeout: queryTimeoutMs,
          query_timeout: queryTimeoutMs,
          // A transaction left open by a crashed request must not hold row locks (approval CAS) for long.
          idle_in_transaction_session_timeout: queryTimeoutMs * 2,
        }
      : {}),
  };
}

/**
 * Opens the cluster's relational store: the same Kysely schema and migrations as the embedded SQLite file.
 * Migrations run under a PostgreSQL advisory lock keyed by the schema, so nodes starting at once wait for
 * the first instead of racing on CREATE TABLE; they run on their own short-lived pool without statement
 * timeouts (a migration on a large table may take long), while the serving pool has timeouts, so a
 * database that hangs turns into quick 503s rather than requests that never end.
 */
export async function openPostgres(options: PostgresOptions): Promise<PostgresHandle> {
  if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
    throw new Error(`PostgreSQL schema "${options.schema}" must match ${SCHEMA_NAME}`);
  }
  const where = redactUrl(options.url);
  const migrationPool = new pg.Pool({ ...poolConfig(options, false), max: 2 });
  migrationPool.on("error", (error) => options.log.warn({ err: error }, "PostgreSQL connection failed"));
  const migrationDb = new Kysely<Database>({ dialect: new PostgresDialect({ pool: migrationPool }) });
  let schema: string;
  try {
    if (options.schema) await createSchema(migrationDb, options.schema);
    const row = (await sql<{ schema: string | null }>`select current_schema() as schema`.execute(migrationDb))
      .rows[0];
    if (!row?.schema) throw new Error("no schema to create tables in: check search_path");
    schema = row.schema;
    await migrateLocked(migrationDb, schema);
  } catch (error) {
    throw new Error(`PostgreSQL at ${where}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  } finally {
    await migrationDb.destroy();
  }

  const pool = new pg.Pool(poolConfig(options, true));
  // An idle connection that breaks (server restart) is reported here; without a listener it would crash
  // the process. The pool replaces it on the next checkout.
  pool.on("error", (error) => options.log.warn({ err: error }, "idle PostgreSQL connection failed"));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, schema, close: () => db.destroy() };
}

/** CREATE SCHEMA IF NOT EXISTS can still fail when two nodes run it at once; what matters is that it exists. */
async function createSchema(db: Kysely<Database>, schema: string): Promise<void> {
  try {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  } catch (error) {
    const exists = await sql<{
      n: number;
    }>`select 1 as n from pg_namespace where nspname = ${schema}`.execute(db);
    if (exists.rows.length === 0) throw error;
  }
}

/** Session-level advisory lock on one reserved connection; the migrator itself uses the pool's other one. */
async function migrateLocked(db: Kysely<Database>, schema: string): Promise<void> {
  const lockName = `agentboard:migrations:${schema}`;
  await db.connection().execute(async (connection) => {
    await sql`select pg_advisory_lock(hashtext(${lockName}))`.execute(connection);
    try {
      await migrateToLatest(db as Kysely<unknown>, { migrationTableSchema: schema });
    } finally {
      await sql`select pg_advisory_unlock(hashtext(${lockName}))`.execute(connection);
    }
  });
}
