import { AgentboardError, takeDashboardStateJson } from "@agentboard/protocol";
import type { Redis } from "ioredis";
import { isStoreUnavailable } from "../errors/store-errors.js";
import type {
  CommitInput,
  CommitResult,
  DashboardKey,
  DashboardStore,
  DocumentVersion,
  MutationKey,
  MutationRecord,
  PatchLogEntry,
  StoredDashboard,
  WriteBase,
} from "./dashboard-store.js";

/**
 * Compare-and-set commit of one document, atomic because Redis runs a script alone. KEYS: document hash,
 * patch log list, and (optional) the idempotency record of (principal, clientId, mutationId). ARGV:
 * expected rev, state JSON, schemaVersion, updatedAt, log entry JSON without its rev, log limit, document
 * TTL (s), idempotency TTL (s), the request's content hash. The record's value is `<rev> <hash>`. Returns {1, rev} when written, {0, currentRev} when the rev moved on or the mutation
 * was already committed (the caller re-reads and finds it). A document that did not exist starts a new log,
 * so what a document left behind when it expired can never be mistaken for its history.
 */
const COMMIT_SCRIPT = `
local current = tonumber(redis.call('HGET', KEYS[1], 'rev') or '0')
if current ~= tonumber(ARGV[1]) then return {0, current} end
if KEYS[3] and redis.call('EXISTS', KEYS[3]) == 1 then return {0, current} end
local rev = current + 1
if current == 0 then redis.call('DEL', KEYS[2]) end
redis.call('HSET', KEYS[1], 'rev', rev, 'schemaVersion', ARGV[3], 'state', ARGV[2], 'updatedAt', ARGV[4])
redis.call('RPUSH', KEYS[2], '{"rev":' .. rev .. ',' .. string.sub(ARGV[5], 2))
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[6]), -1)
redis.call('EXPIRE', KEYS[1], ARGV[7])
redis.call('EXPIRE', KEYS[2], ARGV[7])
if KEYS[3] then redis.call('SET', KEYS[3], rev .. ' ' .. ARGV[9], 'EX', ARGV[8]) end
return {1, rev}
`;

/**
 * The log entries after ARGV[1], read together with the rev so they match: an empty list when nothing is
 * newer, false (nil) when the log no longer reaches back that far. The log holds consecutive revs ending
 * at the current one, so the entries wanted are exactly the last (rev - sinceRev).
 */
const CHANGES_SCRIPT = `
local current = tonumber(redis.call('HGET', KEYS[1], 'rev') or '0')
local since = tonumber(ARGV[1])
if since >= current then return {} end
local n = current - since
if n > redis.call('LLEN', KEYS[2]) then return false end
return redis.call('LRANGE', KEYS[2], -n, -1)
`;

interface DashboardScripts {
  agentboardDashboardCommit(...args: Array<string | number>): Promise<[number, number]>;
  agentboardDashboardChanges(...args: Array<string | number>): Promise<string[] | null>;
}

export interface RedisDashboardStoreOptions {
  redis: Redis;
  /** AGENTBOARD_REDIS_PREFIX: every key starts with it. */
  prefix: string;
  /** AGENTBOARD_STATE_TTL_DAYS: a document's keys expire this long after its last write. */
  stateTtlDays: number;
  /** How long a (clientId, mutationId) replay returns the first answer (default 24 h). */
  idempotencyTtlSeconds?: number;
  /**
   * A commit whose outcome is unknown (timeout, connection lost with the script in flight): it may have been
   * written without anyone hearing of it. The cluster runtime answers with a resync of every subscriber.
   */
  onUncertainCommit?: (key: DashboardKey) => void;
}

export const DEFAULT_IDEMPOTENCY_TTL_SECONDS = 86_400;

/** Raised for a command that never reached Redis (not connected): nothing can have been written. */
const NOT_SENT = /^Stream isn't writeable/;

/**
 * Cluster DashboardStore. Per document, under `<prefix>ws:{<workspaceId>}:dash:<dashboardId>:`
 * (the braces are a Redis Cluster hash tag: one workspace's keys share a slot, so a script may touch them):
 * - `doc`  hash {rev, schemaVersion, state, updatedAt} — `readVersion` is one HMGET of two small fields;
 * - `log`  list of the last AGENTBOARD_PATCH_LOG_LIMIT entries as JSON, oldest first;
 * - `mut:<len>:<principal>:<len>:<clientId>:<mutationId>`  `<rev> <content hash>` of a committed mutation,
 *   expiring after 24 h; the principal is part of the key, so another principal's identical (clientId,
 *   mutationId) is another record (the length prefixes keep `a:b` + `c` apart from `a` + `b:c`).
 * `commit` is one Lua script (see COMMIT_SCRIPT): no read-then-write window between nodes. Expiry is Redis's
 * own TTL, refreshed on every write, so `dropExpired` has nothing to sweep.
 */
export class RedisDashboardStore implements DashboardStore {
  private readonly redis: Redis & DashboardScripts;
  private readonly prefix: string;
  private readonly ttlSeconds: number;
  private readonly idempotencyTtlSeconds: number;
  private readonly onUncertainCommit: (key: DashboardKey) => void;

  constructor(options: RedisDashboardStoreOptions) {
    options.redis.defineCommand("agentboardDashboardCommit", { lua: COMMIT_SCRIPT });
    options.redis.defineCommand("agentboardDashboardChanges", { lua: CHANGES_SCRIPT, numberOfKeys: 2 });
    this.redis = options.redis as Redis & DashboardScripts;
    this.prefix = options.prefix;
    this.ttlSeconds = Math.round(options.stateTtlDays * 86_400);
    this.idempotencyTtlSeconds = options.idempotencyTtlSeconds ?? DEFAULT_IDEMPOTENCY_TTL_SECONDS;
    this.onUncertainCommit = options.onUncertainCommit ?? (() => {});
  }

  /** The key of one document part; exposed for tests and operators (`redis-cli --scan`). */
  keyOf(key: DashboardKey, part: "doc" | "log"): string {
    return `${this.prefix}ws:{${key.workspaceId}}:dash:${key.dashboardId}:${part}`;
  }

  mutationKeyOf(key: DashboardKey, { principal, clientId, mutationId }: MutationKey): string {
    return `${this.prefix}ws:{${key.workspaceId}}:dash:${key.dashboardId}:mut:${principal.length}:${principal}:${clientId.length}:${clientId}:${mutationId}`;
  }

  async read(key: DashboardKey): Promise<StoredDashboard | null> {
    const [rev, schemaVersion, state, updatedAt] = await this.call(() =>
      this.redis.hmget(this.keyOf(key, "doc"), "rev", "schemaVersion", "state", "updatedAt"),
    );
    if (rev === null || rev === undefined || state === null || state === undefined) return null;
    return {
      rev: Number(rev),
      schemaVersion: Number(schemaVersion),
      state: JSON.parse(state),
      updatedAt: updatedAt ?? "",
    };
  }

  async readVersion(key: DashboardKey): Promise<DocumentVersion | null> {
    const fields = await this.call(() => this.redis.hmget(this.keyOf(key, "doc"), "rev", "updatedAt"));
    return toVersion(fields);
  }

  /** One pipeline (both keys share the workspace's hash tag, so also one slot in a Redis Cluster). */
  async readForWrite(key: DashboardKey, mutation?: MutationKey): Promise<WriteBase> {
    if (!mutation) return { version: await this.readVersion(key), mutation: null };
    const replies = await this.call(() =>
      this.redis
        .pipeline()
        .hmget(this.keyOf(key, "doc"), "rev", "updatedAt")
        .get(this.mutationKeyOf(key, mutation))
        .exec(),
    );
    // exec() resolves null only for a discarded MULTI, which a plain pipeline never is.
    const [[versionError, fields], [mutationError, record]] = replies as [
      [Error | null, unknown],
      [Error | null, unknown],
    ];
    const error = versionError ?? mutationError;
    if (error) throw asUnavailable(error);
    return {
      version: toVersion(fields as Array<string | null>),
      mutation: typeof record === "string" ? toMutationRecord(record) : null,
    };
  }

  async commit(input: CommitInput): Promise<CommitResult> {
    const { key, expectedRev, state, entry, logLimit, mutation } = input;
    const { clientId, mutationId, principal } = entry.origin;
    const keys = [this.keyOf(key, "doc"), this.keyOf(key, "log")];
    if (mutation) keys.push(this.mutationKeyOf(key, mutation));
    // Only what the log needs: the connection that wrote it means nothing to another node or later.
    const logged = {
      ops: entry.ops,
      paths: entry.paths,
      origin: {
        principal,
        ...(clientId ? { clientId } : {}),
        ...(mutationId ? { mutationId } : {}),
      },
      at: entry.at,
    };
    let reply: [number, number];
    try {
      reply = await this.redis.agentboardDashboardCommit(
        keys.length,
        ...keys,
        expectedRev,
        takeDashboardStateJson(state),
        state.schemaVersion,
        entry.at,
        JSON.stringify(logged),
        Math.max(1, logLimit),
        this.ttlSeconds,
        this.idempotencyTtlSeconds,
        mutation?.contentHash ?? "",
      );
    } catch (error) {
      if (error instanceof Error && !NOT_SENT.test(error.message) && isStoreUnavailable(error)) {
        this.onUncertainCommit(key);
      }
      throw asUnavailable(error);
    }
    const [written, rev] = reply;
    return written === 1 ? { ok: true, rev } : { ok: false, currentRev: rev };
  }

  async changesSince(key: DashboardKey, sinceRev: number): Promise<PatchLogEntry[] | null> {
    const raw = await this.call(() =>
      this.redis.agentboardDashboardChanges(this.keyOf(key, "doc"), this.keyOf(key, "log"), sinceRev),
    );
    if (raw === null) return null;
    const entries = raw.map((text) => JSON.parse(text) as PatchLogEntry);
    // Defensive: the log must hold exactly sinceRev + 1 … current, in order.
    for (let i = 0; i < entries.length; i++) {
      if (entries[i]?.rev !== sinceRev + 1 + i) return null;
    }
    return entries;
  }

  /** Nothing to sweep: each document's keys carry a TTL of AGENTBOARD_STATE_TTL_DAYS from its last write. */
  async dropExpired(_before: Date): Promise<number> {
    return 0;
  }

  async ping(): Promise<void> {
    await this.call(() => this.redis.ping());
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw asUnavailable(error);
    }
  }
}

/** `<rev> <hash>` as the commit script stores it. */
function toMutationRecord(value: string): MutationRecord {
  const [rev = "", contentHash = ""] = value.split(" ");
  return { rev: Number(rev), contentHash };
}

/** A document's version from HMGET rev updatedAt (null: no document). */
function toVersion([rev, updatedAt]: Array<string | null>): DocumentVersion | null {
  if (rev === null || rev === undefined) return null;
  return { rev: Number(rev), updatedAt: updatedAt ?? "" };
}

/**
 * Connection-level failures become `unavailable` (503 over HTTP, a transient nack over the socket). The
 * message names no host or driver detail (clients see it, in production too); the cause keeps it for logs.
 */
function asUnavailable(error: unknown): unknown {
  if (!isStoreUnavailable(error)) return error;
  return new AgentboardError(
    "unavailable",
    "the dashboard store is not available; retry shortly",
    undefined,
    {
      cause: error,
    },
  );
}
