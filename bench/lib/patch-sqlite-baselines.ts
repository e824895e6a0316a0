import { join } from "node:path";
import Database from "better-sqlite3";
import type { DashboardState } from "../../packages/protocol/src/dashboard/dashboard-state.js";
import { cyclingEdit } from "./patch-workload.js";

/**
 * The storage limit the service is compared against: raw better-sqlite3 (no Kysely, no validation) on a fresh
 * file with the server's durability pragmas (WAL, synchronous=FULL), one transaction per write. The document
 * is re-serialised on every write because any design that stores a JSON document must do that much.
 */
export interface BaselineWriter {
  write(i: number): void;
  close(): void;
}

const WORKSPACE = "ws_bench";
const DASHBOARD = "bench";

function openDurable(file: string): Database.Database {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  return db;
}

/** Same shape as the `dashboards` table of the server's migration, primary key included. */
function createDocumentTable(db: Database.Database): void {
  db.exec(`create table dashboards (
    workspace_id text not null, dashboard_id text not null, rev integer not null,
    schema_version integer not null, state text not null, updated_at text not null,
    primary key (workspace_id, dashboard_id))`);
}

/** Same shape as `dashboard_patches`. */
function createLogTable(db: Database.Database): void {
  db.exec(`create table dashboard_patches (
    workspace_id text not null, dashboard_id text not null, rev integer not null, ops text not null,
    paths text not null, client_id text, mutation_id text, origin text not null, created_at text not null,
    primary key (workspace_id, dashboard_id, rev))`);
}

const UPSERT_SQL = `insert into dashboards (workspace_id, dashboard_id, rev, schema_version, state, updated_at)
  values (?, ?, ?, 1, ?, ?)
  on conflict (workspace_id, dashboard_id) do update
  set rev = excluded.rev, schema_version = excluded.schema_version, state = excluded.state,
      updated_at = excluded.updated_at`;

/** Applies edit `i` to a private copy of the state and returns the new document JSON. */
function documentEditor(
  state: DashboardState,
): (i: number) => { json: string; edit: ReturnType<typeof cyclingEdit> } {
  const doc = structuredClone(state);
  const widgetIds = Object.keys(doc.widgets);
  return (i) => {
    const edit = cyclingEdit(widgetIds, "baseline", i);
    doc.widgets[edit.widgetId]!.title = edit.title;
    return { json: JSON.stringify(doc), edit };
  };
}

/** Baseline A: one upsert of the whole document row per durable transaction. */
export function openUpsertBaseline(dir: string, state: DashboardState): BaselineWriter {
  const db = openDurable(join(dir, "baseline-a.sqlite"));
  createDocumentTable(db);
  const upsert = db.prepare(UPSERT_SQL);
  const next = documentEditor(state);
  const write = db.transaction((i: number) => {
    upsert.run(WORKSPACE, DASHBOARD, i + 1, next(i).json, new Date().toISOString());
  });
  return { write: (i) => write(i), close: () => db.close() };
}

/**
 * Baseline B: what a minimal patch-log design must do per write, in one durable transaction: upsert the
 * document, append the log entry, trim the log to `logLimit` entries (the server keeps a bounded log too).
 */
export function openUpsertWithLogBaseline(
  dir: string,
  state: DashboardState,
  logLimit: number,
): BaselineWriter {
  const db = openDurable(join(dir, "baseline-b.sqlite"));
  createDocumentTable(db);
  createLogTable(db);
  const upsert = db.prepare(UPSERT_SQL);
  const append = db.prepare(`insert into dashboard_patches
    (workspace_id, dashboard_id, rev, ops, paths, client_id, mutation_id, origin, created_at)
    values (?, ?, ?, ?, ?, null, null, 'user:bench', ?)`);
  const trim = db.prepare(
    "delete from dashboard_patches where workspace_id = ? and dashboard_id = ? and rev <= ?",
  );
  const next = documentEditor(state);
  const write = db.transaction((i: number) => {
    const rev = i + 1;
    const at = new Date().toISOString();
    const { json, edit } = next(i);
    upsert.run(WORKSPACE, DASHBOARD, rev, json, at);
    append.run(WORKSPACE, DASHBOARD, rev, JSON.stringify(edit.ops), JSON.stringify([edit.ops[0]!.path]), at);
    trim.run(WORKSPACE, DASHBOARD, rev - logLimit);
  });
  return { write: (i) => write(i), close: () => db.close() };
}

export function sqliteVersion(): string {
  const db = new Database(":memory:");
  try {
    return (db.prepare("select sqlite_version() as version").get() as { version: string }).version;
  } finally {
    db.close();
  }
}
