import { freshPostgres } from "@agentboard/test-support";
import { sql } from "kysely";
import { afterAll } from "vitest";
import type { PostgresHandle } from "../../src/storage/postgres.js";

const TABLES = [
  "workspaces",
  "principals",
  "tokens",
  "dashboards",
  "dashboard_patches",
  "dashboard_mutations",
  "approvals",
  "approval_audit",
  "audit_heads",
];

/**
 * One PostgreSQL schema per test file (created and migrated on first use, dropped after the file), emptied
 * before every test: a fresh schema per test would spend most of the suite's time in migrations.
 */
export function postgresPerFile(): () => Promise<PostgresHandle> {
  let handle: Awaited<ReturnType<typeof freshPostgres>> | undefined;
  afterAll(async () => handle?.drop());
  return async () => {
    handle ??= await freshPostgres();
    await sql`truncate ${sql.join(TABLES.map((t) => sql.id(t)))} cascade`.execute(handle.db);
    return handle;
  };
}
