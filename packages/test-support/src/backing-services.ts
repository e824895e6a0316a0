import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { sql } from "kysely";
import pg from "pg";
import { openPostgres, type PostgresHandle } from "./server-internals.js";

/** The services every development and CI machine runs (docs/engineering.md). */
export const REDIS_URL = process.env.AGENTBOARD_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
export const DATABASE_URL =
  process.env.AGENTBOARD_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export const quietLog = { warn() {}, error() {}, info() {} };

/** A key prefix no other test uses: `agentboard-test:<random>:`. */
export function randomPrefix(): string {
  return `agentboard-test:${randomBytes(6).toString("hex")}:`;
}

/** A schema name no other test uses. */
export function randomSchema(): string {
  return `agentboard_test_${randomBytes(6).toString("hex")}`;
}

/** Deletes every key under `prefix` (SCAN, never KEYS: other tests share this Redis). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
}

/** A plain client for test bookkeeping (not the product's fail-fast connection). */
export function testRedis(url = REDIS_URL): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1 });
}

/** A migrated PostgreSQL schema of its own; `drop` removes it with everything in it. */
export async function freshPostgres(): Promise<PostgresHandle & { drop(): Promise<void> }> {
  const schema = randomSchema();
  const handle = await openPostgres({ url: DATABASE_URL, schema, log: quietLog });
  return { ...handle, drop: () => dropSchema(handle, schema) };
}

async function dropSchema(handle: PostgresHandle, schema: string): Promise<void> {
  try {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(handle.db);
  } finally {
    await handle.close();
  }
}

/** Drops `schema` over a plain connection: opening the product's store for it would run migrations first. */
export async function dropSchemaNamed(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

/** The database URL that puts a connection in `schema` (how CLI-started nodes get their own schema). */
export function databaseUrlFor(schema: string): string {
  const url = new URL(DATABASE_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return url.toString();
}
