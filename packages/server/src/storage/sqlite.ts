import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { migrateToLatest } from "./migrations.js";
import type { Database } from "./schema.js";
import { startCheckpointer } from "./sqlite-checkpointer.js";

/** How often the checkpoint thread folds the WAL into the database file (and fsyncs it). */
const CHECKPOINT_INTERVAL_MS = 1_000;
/** SQLite's own default, restored if the checkpoint thread fails. */
const AUTO_CHECKPOINT_PAGES = 1_000;
/** A WAL grown by a burst of writes is cut back to this size once it is reset (SQLite keeps it otherwise). */
const WAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;

export interface SqliteHandle {
  db: Kysely<Database>;
  file: string;
  /**
   * Runs `work` synchronously on the raw connection while holding Kysely's connection lock, so it never runs
   * inside (or interleaves with) a Kysely transaction that is waiting between its statements. For hot paths
   * that use cached prepared statements instead of building and preparing queries anew each time.
   */
  exclusive<T>(work: (connection: SqliteDatabase.Database) => T): Promise<T>;
  close(): Promise<void>;
}

/**
 * Opens (creating if needed) the embedded store and brings its schema up to date.
 * WAL lets readers proceed during a write; synchronous=FULL makes each commit durable before it returns (an
 * fsync of the WAL per commit), which is what lets the server acknowledge a write only once it would survive
 * a crash or power loss. Dashboard commits may opt into NORMAL (see SqliteDashboardStore). Checkpoints run
 * on a thread of their own (see startCheckpointer), not inside commits.
 */
export async function openSqlite(
  file: string,
  options: { log: { error(details: object, message: string): void } },
): Promise<SqliteHandle> {
  mkdirSync(dirname(file), { recursive: true });
  const connection = new SqliteDatabase(file);
  connection.pragma("journal_mode = WAL");
  connection.pragma("synchronous = FULL");
  connection.pragma("foreign_keys = ON");
  connection.pragma("busy_timeout = 5000");
  connection.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }) });
  try {
    await migrateToLatest(db as Kysely<unknown>);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  connection.pragma("wal_autocheckpoint = 0");
  const checkpointer = startCheckpointer({
    file,
    intervalMs: CHECKPOINT_INTERVAL_MS,
    onFailure(error) {
      options.log.error(
        { err: error },
        "background WAL checkpoints stopped; SQLite checkpoints inside commits again",
      );
      connection.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
    },
  });
  return {
    db,
    file,
    // Kysely's SQLite driver has one connection behind a mutex; holding it (db.connection()) is the lock.
    exclusive: (work) => db.connection().execute(async () => work(connection)),
    // The thread's connection closes first, so closing the last one folds the WAL in and removes it.
    close: async () => {
      await checkpointer.stop();
      await db.destroy();
    },
  };
}
