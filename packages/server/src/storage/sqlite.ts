import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import SqliteDatabase from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { migrateToLatest } from "./migrations.js";
import type { Database } from "./schema.js";

export interface SqliteHandle {
  db: Kysely<Database>;
  file: string;
  close(): Promise<void>;
}

/**
 * Opens (creating if needed) the embedded store and brings its schema up to date.
 * WAL lets readers proceed during a write; synchronous=FULL makes each commit durable before it returns,
 * which is what lets the server acknowledge a write only once it would survive a crash or power loss.
 */
export async function openSqlite(file: string): Promise<SqliteHandle> {
  mkdirSync(dirname(file), { recursive: true });
  const connection = new SqliteDatabase(file);
  connection.pragma("journal_mode = WAL");
  connection.pragma("synchronous = FULL");
  connection.pragma("foreign_keys = ON");
  connection.pragma("busy_timeout = 5000");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }) });
  try {
    await migrateToLatest(db as Kysely<unknown>);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return { db, file, close: () => db.destroy() };
}
