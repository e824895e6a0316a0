import type {
  Approval,
  ApprovalEventName,
  ApprovalOnTimeout,
  ApprovalStatus,
  AuditEntry,
  PrincipalRef,
} from "@agentboard/protocol";
import type { StoredAuditRow } from "./audit-chain.js";

/** What an audit row records besides its position and hashes, which the store assigns. */
export interface AuditInput {
  at: string;
  /** `<kind>:<id>` of a principal, or `system:policy` / `system:expiry`. */
  actor: string;
  event: ApprovalEventName;
  reason?: string;
  details?: Record<string, unknown>;
}

export interface CreateApprovalInput {
  /** The full record at version 1, with its initial status (pending or auto_approved). */
  approval: Approval;
  onTimeout: ApprovalOnTimeout;
  /** Scoped to the requester: (workspace, requestedBy.id, key) is unique. */
  idempotencyKey?: string;
  /** SHA-256 (hex) of the canonical request body without the key, stored with the key. */
  requestHash?: string;
  audit: AuditInput;
}

/**
 * `created: false` when the requester already used this idempotency key; nothing was written. `approval` is
 * then the first one and `requestHash` the hash stored with it (null for rows from before hashes were kept).
 */
export type CreateApprovalResult =
  | { created: true; approval: Approval }
  | { created: false; approval: Approval; requestHash: string | null };

export interface TransitionInput {
  workspaceId: string;
  id: string;
  /** The version the caller saw as pending; the transition happens only if the row still has it. */
  expectedVersion: number;
  to: Exclude<ApprovalStatus, "pending" | "auto_approved">;
  decidedBy?: PrincipalRef;
  reason?: string;
  audit: AuditInput;
}

/** On a lost compare-and-set, `current` is the row as it is now (null if it vanished). */
export type TransitionResult = { ok: true; approval: Approval } | { ok: false; current: Approval | null };

/** Keyset position in the newest-first listing. */
export interface ListPosition {
  createdAt: string;
  id: string;
}

export interface ListFilter {
  status?: ApprovalStatus;
  type?: string;
  /** Only this requester's approvals (what an agent may see). */
  requestedById?: string;
  limit: number;
  after?: ListPosition;
}

/** What `audit verify` cross-checks per approval against its chain. */
export interface ApprovalIntegrityRow {
  id: string;
  status: ApprovalStatus;
  version: number;
  argsHash: string;
  /** The stored action text, re-hashed by verify. */
  action: unknown;
}

/**
 * Storage of approvals and their audit chain. Implementations: SQLite (embedded) and PostgreSQL (cluster),
 * through the same portable Kysely queries. Guarantees the service relies on:
 * - `create` and `transition` each write the approval change and exactly one audit row in one transaction;
 * - `transition` is a compare-and-set on (status = pending, version): of any number of concurrent callers
 *   with the same expected version, at most one gets `ok: true`;
 * - each workspace's audit rows form one hash chain whose head moves by compare-and-set, so concurrent
 *   writers (on any node) can never fork it.
 * Every read is scoped by workspace.
 */
export interface ApprovalStore {
  create(input: CreateApprovalInput): Promise<CreateApprovalResult>;
  get(workspaceId: string, id: string): Promise<Approval | null>;
  /** Newest first (createdAt, then id, descending); `next` is set when more rows may follow. */
  list(workspaceId: string, filter: ListFilter): Promise<{ items: Approval[]; next: ListPosition | null }>;
  transition(input: TransitionInput): Promise<TransitionResult>;
  /** Every pending approval with an `expiresAt`, across workspaces: what the expiry timers re-arm at start. */
  listPendingWithExpiry(): Promise<Array<{ workspaceId: string; id: string; expiresAt: string }>>;
  /** One approval's audit rows in seq order. */
  auditTrail(workspaceId: string, approvalId: string): Promise<AuditEntry[]>;
  /** Workspaces that have approvals or an audit chain (rows or a head). */
  auditWorkspaces(): Promise<string[]>;
  /** A page of a workspace's chain with seq > afterSeq, in seq order. */
  auditRows(workspaceId: string, afterSeq: number, limit: number): Promise<StoredAuditRow[]>;
  auditHead(workspaceId: string): Promise<{ seq: number; hash: string } | null>;
  /** A page of a workspace's approvals with id > afterId, in id order (for verify). */
  integrityRows(workspaceId: string, afterId: string, limit: number): Promise<ApprovalIntegrityRow[]>;
  ping(): Promise<void>;
}
