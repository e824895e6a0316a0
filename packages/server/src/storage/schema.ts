import type { Generated } from "kysely";

/** Tables of the relational store (SQLite embedded; the same schema on PostgreSQL in cluster mode). */
export interface WorkspacesTable {
  id: string;
  name: string;
  created_at: string;
}

export interface PrincipalsTable {
  id: string;
  workspace_id: string;
  kind: "user" | "agent";
  name: string;
  /** Users only: owner | admin | member | viewer. */
  role: string | null;
  /** Agents only: JSON array of scopes. */
  scopes: string | null;
  created_at: string;
}

export interface TokensTable {
  id: string;
  /** SHA-256 hex of the secret; the secret itself is never stored. */
  token_hash: string;
  kind: "api" | "session" | "login_code";
  principal_id: string;
  workspace_id: string;
  created_at: string;
  expires_at: string | null;
  /** Login codes: when the code was consumed (a used code is dead). */
  used_at: string | null;
  revoked_at: string | null;
  /** API tokens and sessions: when they last authenticated a request, updated at most once a minute. */
  last_used_at: string | null;
}

export interface DashboardsTable {
  workspace_id: string;
  dashboard_id: string;
  rev: number;
  schema_version: number;
  state: string;
  updated_at: string;
}

export interface DashboardPatchesTable {
  workspace_id: string;
  dashboard_id: string;
  rev: number;
  ops: string;
  paths: string;
  client_id: string | null;
  mutation_id: string | null;
  origin: string;
  created_at: string;
}

export interface DashboardMutationsTable {
  workspace_id: string;
  dashboard_id: string;
  /** `<kind>:<id>` of the principal that wrote it: the key is theirs alone. */
  principal: string;
  client_id: string;
  mutation_id: string;
  rev: number;
  /** SHA-256 (hex) of the request's canonical content; a reuse with other content is refused. */
  content_hash: string;
  created_at: string;
}

export interface ApprovalsTable {
  id: string;
  workspace_id: string;
  type: string;
  title: string;
  description: string | null;
  /** JSON of `{tool?, args?}` exactly as requested. */
  action: string;
  /** SHA-256 hex of canonicalJson(action). */
  args_hash: string;
  confidence: number | null;
  priority: string;
  route: string;
  status: string;
  requested_by_kind: string;
  requested_by_id: string;
  decided_by_kind: string | null;
  decided_by_id: string | null;
  reason: string | null;
  created_at: string;
  expires_at: string | null;
  /** Resolved at creation (request, else config), so a later config change cannot alter it. */
  on_timeout: string;
  decided_at: string | null;
  version: number;
  idempotency_key: string | null;
  /** SHA-256 (hex) of the canonical create body without its idempotency key; null on rows from before 005. */
  request_hash: string | null;
}

/** One row per approval transition; `hash` chains the workspace's previous row (see approvals/audit-chain.ts). */
export interface ApprovalAuditTable {
  workspace_id: string;
  seq: number;
  approval_id: string;
  at: string;
  actor: string;
  event: string;
  from_status: string | null;
  to_status: string;
  reason: string | null;
  /** Canonical JSON of the policy inputs (creation) or null. */
  details: string | null;
  prev_hash: string;
  hash: string;
}

/** The tip of each workspace's audit chain; moved by compare-and-set so concurrent writers cannot fork it. */
export interface AuditHeadsTable {
  workspace_id: string;
  seq: number;
  hash: string;
}

/** The agent directory (migration 007): local agents' edited cards and remote A2A agents with probe state. */
export interface AgentsTable {
  id: string;
  workspace_id: string;
  kind: "local" | "a2a";
  name: string;
  display_name: string | null;
  description: string | null;
  icon_url: string | null;
  role: string | null;
  /** JSON array of strings. */
  aliases: string | null;
  /** JSON array of {id, name}. */
  skills: string | null;
  card_url: string | null;
  /** The validated card as fetched (JSON). */
  card: string | null;
  status: "healthy" | "degraded" | "unhealthy" | "unknown";
  latency_ms: number | null;
  checked_at: string | null;
  /** Consecutive failed / successful probes (hysteresis). */
  failures: number;
  successes: number;
  /** Backoff: a dead agent is not probed before this. */
  next_probe_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface SchemaMigrationsTable {
  name: string;
  applied_at: Generated<string>;
}

export interface Database {
  workspaces: WorkspacesTable;
  principals: PrincipalsTable;
  tokens: TokensTable;
  dashboards: DashboardsTable;
  dashboard_patches: DashboardPatchesTable;
  dashboard_mutations: DashboardMutationsTable;
  approvals: ApprovalsTable;
  approval_audit: ApprovalAuditTable;
  audit_heads: AuditHeadsTable;
  agents: AgentsTable;
}
