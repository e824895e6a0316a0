import {
  type Approval,
  type ApprovalOnTimeout,
  type ApprovalPriority,
  type ApprovalRoute,
  type ApprovalStatus,
  type AuditEntry,
  canonicalJson,
  type PrincipalKind,
} from "@agentboard/protocol";
import type { Kysely, Selectable, Transaction } from "kysely";
import { unavailable } from "../errors/agentboard-errors.js";
import type { ApprovalAuditTable, ApprovalsTable, Database } from "../storage/schema.js";
import type {
  ApprovalIntegrityRow,
  ApprovalStore,
  AuditInput,
  CreateApprovalInput,
  CreateApprovalResult,
  ListFilter,
  ListPosition,
  TransitionInput,
  TransitionResult,
} from "./approval-store.js";
import { auditHash, GENESIS_HASH, type StoredAuditRow } from "./audit-chain.js";

/**
 * Thrown inside a transaction when another writer moved the audit head (or inserted the same idempotency
 * key) first; the transaction rolls back and runs again on the new state. Only reachable with several
 * connections (PostgreSQL); SQLite runs one transaction at a time.
 */
class WriteRaceError extends Error {}

/** A transaction that lost a race is retried this often before answering 503. */
const MAX_ATTEMPTS = 5;

/**
 * ApprovalStore over Kysely. Only portable SQL (no RETURNING, no upsert-with-update, no dialect functions),
 * so the same class serves SQLite (embedded mode) and PostgreSQL (cluster mode).
 */
export class KyselyApprovalStore implements ApprovalStore {
  constructor(private readonly db: Kysely<Database>) {}

  async create(input: CreateApprovalInput): Promise<CreateApprovalResult> {
    const { approval } = input;
    return this.retrying(() =>
      this.db.transaction().execute(async (trx): Promise<CreateApprovalResult> => {
        if (input.idempotencyKey !== undefined) {
          // The key is the requester's own: principal ids are unique across kinds (principals' primary key),
          // so (workspace, requester id, key) never finds another principal's request.
          const existing = await trx
            .selectFrom("approvals")
            .selectAll()
            .where("workspace_id", "=", approval.workspaceId)
            .where("requested_by_id", "=", approval.requestedBy.id)
            .where("idempotency_key", "=", input.idempotencyKey)
            .executeTakeFirst();
          if (existing) {
            return { created: false, approval: toApproval(existing), requestHash: existing.request_hash };
          }
        }
        const inserted = await trx
          .insertInto("approvals")
          .values(toRow(input))
          .onConflict((oc) => oc.doNothing())
          .executeTakeFirst();
        if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1) throw new WriteRaceError();
        await appendAudit(trx, approval.workspaceId, approval.id, null, approval.status, input.audit);
        return { created: true, approval };
      }),
    );
  }

  async get(workspaceId: string, id: string): Promise<Approval | null> {
    const row = await this.db
      .selectFrom("approvals")
      .selectAll()
      .where("workspace_id", "=", workspaceId)
      .where("id", "=", id)
      .executeTakeFirst();
    return row ? toApproval(row) : null;
  }

  async list(
    workspaceId: string,
    filter: ListFilter,
  ): Promise<{ items: Approval[]; next: ListPosition | null }> {
    let query = this.db.selectFrom("approvals").selectAll().where("workspace_id", "=", workspaceId);
    if (filter.status) query = query.where("status", "=", filter.status);
    if (filter.type) query = query.where("type", "=", filter.type);
    if (filter.requestedById) query = query.where("requested_by_id", "=", filter.requestedById);
    const after = filter.after;
    if (after) {
      query = query.where((eb) =>
        eb.or([
          eb("created_at", "<", after.createdAt),
          eb.and([eb("created_at", "=", after.createdAt), eb("id", "<", after.id)]),
        ]),
      );
    }
    // One extra row tells whether another page exists without a count query.
    const rows = await query
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .limit(filter.limit + 1)
      .execute();
    const items = rows.slice(0, filter.limit).map(toApproval);
    const last = items[items.length - 1];
    const next = rows.length > filter.limit && last ? { createdAt: last.createdAt, id: last.id } : null;
    return { items, next };
  }

  async transition(input: TransitionInput): Promise<TransitionResult> {
    const won = await this.retrying(() =>
      this.db.transaction().execute(async (trx) => {
        const updated = await trx
          .updateTable("approvals")
          .set((eb) => ({
            status: input.to,
            version: eb("version", "+", 1),
            decided_by_kind: input.decidedBy?.kind ?? null,
            decided_by_id: input.decidedBy?.id ?? null,
            reason: input.reason ?? null,
            decided_at: input.audit.at,
          }))
          .where("workspace_id", "=", input.workspaceId)
          .where("id", "=", input.id)
          .where("status", "=", "pending")
          .where("version", "=", input.expectedVersion)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) !== 1) return null;
        await appendAudit(trx, input.workspaceId, input.id, "pending", input.to, input.audit);
        const row = await trx
          .selectFrom("approvals")
          .selectAll()
          .where("workspace_id", "=", input.workspaceId)
          .where("id", "=", input.id)
          .executeTakeFirstOrThrow();
        return toApproval(row);
      }),
    );
    if (won) return { ok: true, approval: won };
    return { ok: false, current: await this.get(input.workspaceId, input.id) };
  }

  async listPendingWithExpiry(): Promise<Array<{ workspaceId: string; id: string; expiresAt: string }>> {
    const rows = await this.db
      .selectFrom("approvals")
      .select(["workspace_id", "id", "expires_at"])
      .where("status", "=", "pending")
      .where("expires_at", "is not", null)
      .orderBy("expires_at", "asc")
      .execute();
    return rows.map((row) => ({ workspaceId: row.workspace_id, id: row.id, expiresAt: row.expires_at! }));
  }

  /** A workspace's audit rows in chain order (seq ascending), to narrow further. */
  private auditOf(workspaceId: string) {
    return this.db
      .selectFrom("approval_audit")
      .selectAll()
      .where("workspace_id", "=", workspaceId)
      .orderBy("seq", "asc");
  }

  async auditTrail(workspaceId: string, approvalId: string): Promise<AuditEntry[]> {
    const rows = await this.auditOf(workspaceId).where("approval_id", "=", approvalId).execute();
    return rows.map(
      (row): AuditEntry => ({
        seq: row.seq,
        at: row.at,
        actor: row.actor,
        event: row.event as AuditEntry["event"],
        from: row.from_status as ApprovalStatus | null,
        to: row.to_status as ApprovalStatus,
        ...(row.reason !== null ? { reason: row.reason } : {}),
        ...(row.details !== null ? { details: parseJsonOrText(row.details) as Record<string, unknown> } : {}),
        hash: row.hash,
      }),
    );
  }

  async auditWorkspaces(): Promise<string[]> {
    // Approvals count too: a workspace whose whole chain was deleted must still be checked (and fail).
    const [withRows, withHeads, withApprovals] = await Promise.all([
      this.db.selectFrom("approval_audit").select("workspace_id").distinct().execute(),
      this.db.selectFrom("audit_heads").select("workspace_id").execute(),
      this.db.selectFrom("approvals").select("workspace_id").distinct().execute(),
    ]);
    return [...new Set([...withRows, ...withHeads, ...withApprovals].map((row) => row.workspace_id))].sort();
  }

  async auditRows(workspaceId: string, afterSeq: number, limit: number): Promise<StoredAuditRow[]> {
    const rows = await this.auditOf(workspaceId).where("seq", ">", afterSeq).limit(limit).execute();
    return rows.map(toStoredAuditRow);
  }

  async auditHead(workspaceId: string): Promise<{ seq: number; hash: string } | null> {
    const head = await this.db
      .selectFrom("audit_heads")
      .select(["seq", "hash"])
      .where("workspace_id", "=", workspaceId)
      .executeTakeFirst();
    return head ?? null;
  }

  async integrityRows(workspaceId: string, afterId: string, limit: number): Promise<ApprovalIntegrityRow[]> {
    const rows = await this.db
      .selectFrom("approvals")
      .select(["id", "status", "version", "args_hash", "action"])
      .where("workspace_id", "=", workspaceId)
      .where("id", ">", afterId)
      .orderBy("id", "asc")
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      status: row.status as ApprovalStatus,
      version: row.version,
      argsHash: row.args_hash,
      action: parseJsonOrText(row.action),
    }));
  }

  async ping(): Promise<void> {
    await this.db.selectFrom("approvals").select("id").limit(1).execute();
  }

  private async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof WriteRaceError)) throw error;
      }
    }
    throw unavailable("the approval store is too contended; retry");
  }
}

/**
 * Appends one row to the workspace's chain inside the caller's transaction. The head moves by
 * compare-and-set on its seq (or is inserted on first use), so of two concurrent writers one fails here
 * and its whole transaction is retried on top of the other's row.
 */
async function appendAudit(
  trx: Transaction<Database>,
  workspaceId: string,
  approvalId: string,
  from: ApprovalStatus | null,
  to: ApprovalStatus,
  audit: AuditInput,
): Promise<void> {
  const head = await trx
    .selectFrom("audit_heads")
    .select(["seq", "hash"])
    .where("workspace_id", "=", workspaceId)
    .executeTakeFirst();
  const seq = (head?.seq ?? 0) + 1;
  const prevHash = head?.hash ?? GENESIS_HASH;
  // Stored as canonical JSON, so the text in the database is exactly what was hashed.
  const details = audit.details === undefined ? null : canonicalJson(audit.details);
  const record = {
    seq,
    workspaceId,
    approvalId,
    at: audit.at,
    actor: audit.actor,
    event: audit.event,
    from,
    to,
    reason: audit.reason ?? null,
    details: details === null ? null : (JSON.parse(details) as Record<string, unknown>),
  };
  const hash = auditHash(prevHash, record);
  if (head) {
    const moved = await trx
      .updateTable("audit_heads")
      .set({ seq, hash })
      .where("workspace_id", "=", workspaceId)
      .where("seq", "=", head.seq)
      .executeTakeFirst();
    if (Number(moved.numUpdatedRows) !== 1) throw new WriteRaceError();
  } else {
    const inserted = await trx
      .insertInto("audit_heads")
      .values({ workspace_id: workspaceId, seq, hash })
      .onConflict((oc) => oc.column("workspace_id").doNothing())
      .executeTakeFirst();
    if (Number(inserted.numInsertedOrUpdatedRows ?? 0) !== 1) throw new WriteRaceError();
  }
  await trx
    .insertInto("approval_audit")
    .values({
      workspace_id: workspaceId,
      seq,
      approval_id: approvalId,
      at: record.at,
      actor: record.actor,
      event: record.event,
      from_status: from,
      to_status: to,
      reason: record.reason,
      details,
      prev_hash: prevHash,
      hash,
    })
    .execute();
}

function toRow(input: CreateApprovalInput): ApprovalsTable {
  const { approval } = input;
  return {
    id: approval.id,
    workspace_id: approval.workspaceId,
    type: approval.type,
    title: approval.title,
    description: approval.description ?? null,
    action: JSON.stringify(approval.action),
    args_hash: approval.argsHash,
    confidence: approval.confidence ?? null,
    priority: approval.priority,
    route: approval.route,
    status: approval.status,
    requested_by_kind: approval.requestedBy.kind,
    requested_by_id: approval.requestedBy.id,
    decided_by_kind: approval.decidedBy?.kind ?? null,
    decided_by_id: approval.decidedBy?.id ?? null,
    reason: approval.reason ?? null,
    created_at: approval.createdAt,
    expires_at: approval.expiresAt ?? null,
    on_timeout: input.onTimeout,
    decided_at: approval.decidedAt ?? null,
    version: approval.version,
    idempotency_key: input.idempotencyKey ?? null,
    request_hash: input.requestHash ?? null,
  };
}

/** Field order follows contract.md, so answers read the same everywhere. */
function toApproval(row: Selectable<ApprovalsTable>): Approval {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    type: row.type,
    title: row.title,
    ...(row.description !== null ? { description: row.description } : {}),
    action: JSON.parse(row.action),
    argsHash: row.args_hash,
    ...(row.confidence !== null ? { confidence: Number(row.confidence) } : {}),
    priority: row.priority as ApprovalPriority,
    route: row.route as ApprovalRoute,
    status: row.status as ApprovalStatus,
    requestedBy: { kind: row.requested_by_kind as PrincipalKind, id: row.requested_by_id },
    ...(row.decided_by_kind !== null && row.decided_by_id !== null
      ? { decidedBy: { kind: row.decided_by_kind as PrincipalKind, id: row.decided_by_id } }
      : {}),
    ...(row.reason !== null ? { reason: row.reason } : {}),
    createdAt: row.created_at,
    ...(row.expires_at !== null
      ? { expiresAt: row.expires_at, onTimeout: row.on_timeout as ApprovalOnTimeout }
      : {}),
    ...(row.decided_at !== null ? { decidedAt: row.decided_at } : {}),
    version: row.version,
  };
}

function toStoredAuditRow(row: Selectable<ApprovalAuditTable>): StoredAuditRow {
  return {
    seq: row.seq,
    workspaceId: row.workspace_id,
    approvalId: row.approval_id,
    at: row.at,
    actor: row.actor,
    event: row.event,
    from: row.from_status,
    to: row.to_status,
    reason: row.reason,
    // A details text that is not JSON any more is kept as text: its hash will not match, which verify reports.
    details: row.details === null ? null : (parseJsonOrText(row.details) as Record<string, unknown>),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
