import type { DashboardState, JsonPatchOp } from "@agentboard/protocol";

/** Where a dashboard document lives: always scoped by workspace, so no query can cross tenants. */
export interface DashboardKey {
  workspaceId: string;
  dashboardId: string;
}

export interface StoredDashboard {
  rev: number;
  schemaVersion: number;
  /** Raw stored state; the service migrates and validates it on every load. */
  state: unknown;
  updatedAt: string;
}

/** Who made a change: tags fan-out so a writer's own connection does not get its change echoed. */
export interface ChangeOrigin {
  principal: string;
  clientId?: string;
  mutationId?: string;
  /** The WebSocket connection and request that wrote it (not persisted): it gets an ack instead of the echo. */
  connectionId?: string;
  requestId?: string;
}

export interface PatchLogEntry {
  rev: number;
  ops: JsonPatchOp[];
  /** Conflict paths of the ops (see checkDashboardPatch), used to decide whether a stale write can rebase. */
  paths: string[];
  origin: ChangeOrigin;
  at: string;
}

/**
 * An idempotency key as the store keys it: the (clientId, mutationId) a client chose, always together with
 * the principal that sent it, so another principal's identical key names another record (contract.md,
 * "Tokens, members and dashboards directory"). `contentHash` binds the record to what was asked.
 */
export interface MutationKey {
  /** `<kind>:<id>` of the writer. */
  principal: string;
  clientId: string;
  mutationId: string;
}

/** What an idempotency record remembers: the rev the write was committed at, and the request's hash. */
export interface MutationRecord {
  rev: number;
  /** SHA-256 (hex) of the request's canonical content (the ops of a patch). */
  contentHash: string;
}

export interface CommitInput {
  key: DashboardKey;
  /** The rev the new state was computed from; the commit fails if the stored rev moved on. */
  expectedRev: number;
  state: DashboardState;
  entry: Omit<PatchLogEntry, "rev">;
  /** How many log entries to keep for this document after the commit. */
  logLimit: number;
  /** Written with the commit when the write carried an idempotency key: its record. */
  mutation?: MutationKey & { contentHash: string };
}

export type CommitResult = { ok: true; rev: number } | { ok: false; currentRev: number };

export interface DocumentVersion {
  rev: number;
  updatedAt: string;
}

/** What a write reads before it computes: the document's version and whether its mutation is a replay. */
export interface WriteBase {
  /** null: no such document. */
  version: DocumentVersion | null;
  /** The record of the write's idempotency key, or null (never committed, or not asked). */
  mutation: MutationRecord | null;
}

/**
 * Storage of dashboard documents. Implementations: SQLite (embedded), Redis (cluster). `commit` is an atomic
 * compare-and-set of (state, rev + 1, log entry, idempotency record): it either happens whole or not at all,
 * which is the only guarantee the service relies on across nodes. How far a commit is durable is the store's
 * setting (AGENTBOARD_DASHBOARD_SYNC for SQLite, Redis's persistence in a cluster).
 */
export interface DashboardStore {
  read(key: DashboardKey): Promise<StoredDashboard | null>;
  /** Just the version of a document (cheap): lets the service reuse a state it validated before. */
  readVersion(key: DashboardKey): Promise<DocumentVersion | null>;
  /**
   * readVersion plus, when `mutation` is given, that key's idempotency record: a write's idempotency and
   * version checks in one round trip (one lock in SQLite, one pipeline to Redis).
   */
  readForWrite(key: DashboardKey, mutation?: MutationKey): Promise<WriteBase>;
  commit(input: CommitInput): Promise<CommitResult>;
  /**
   * Log entries with rev > sinceRev in order, or null when the log no longer reaches back that far (the
   * caller then needs a snapshot, or treats every path as changed).
   */
  changesSince(key: DashboardKey, sinceRev: number): Promise<PatchLogEntry[] | null>;
  /** Drops documents not written since `before` (AGENTBOARD_STATE_TTL_DAYS); returns how many. */
  dropExpired(before: Date): Promise<number>;
  /** Cheap liveness probe for /readyz. */
  ping(): Promise<void>;
}
