import { createHash } from "node:crypto";
import { canonicalJson } from "@agentboard/protocol";

/** `prev_hash` of a workspace's first audit row. */
export const GENESIS_HASH = "0".repeat(64);

/** The hashed content of one audit row: everything but the hashes themselves. */
export interface AuditRecord {
  seq: number;
  workspaceId: string;
  approvalId: string;
  at: string;
  actor: string;
  event: string;
  from: string | null;
  to: string;
  reason: string | null;
  details: Record<string, unknown> | null;
}

/**
 * `sha256(prevHash ‖ canonicalJson(record))`, hex. The workspace id and seq are inside the hashed text, so a
 * row cannot be moved to another position or tenant without breaking its hash, and each row commits to the
 * whole chain before it through `prevHash`.
 */
export function auditHash(prevHash: string, record: AuditRecord): string {
  return createHash("sha256")
    .update(prevHash, "utf8")
    .update(
      canonicalJson({
        seq: record.seq,
        workspaceId: record.workspaceId,
        approvalId: record.approvalId,
        at: record.at,
        actor: record.actor,
        event: record.event,
        from: record.from,
        to: record.to,
        reason: record.reason,
        details: record.details,
      }),
      "utf8",
    )
    .digest("hex");
}

/** SHA-256 (hex) of canonicalJson(action): what `argsHash` is. */
export function actionHash(action: unknown): string {
  return createHash("sha256").update(canonicalJson(action), "utf8").digest("hex");
}

/** An audit row as stored, with its hashes. */
export interface StoredAuditRow extends AuditRecord {
  prevHash: string;
  hash: string;
}

export type ChainProblem =
  | { kind: "seq_gap"; expected: number }
  | { kind: "broken_link"; expected: string }
  | { kind: "hash_mismatch"; computed: string }
  | { kind: "bad_row"; message: string };

/** The first bad row of a chain, or what is wrong with its end. */
export interface ChainFault {
  row: StoredAuditRow | null;
  problem: ChainProblem | { kind: "head_mismatch"; head: { seq: number; hash: string } | null };
}

/**
 * Walks one workspace's chain in seq order, page by page, and stops at the first row that does not follow
 * from the one before it: a missing seq (deleted rows), a `prev_hash` that is not the previous row's hash
 * (rows reordered or replaced), or a `hash` that does not match the row's content (an edited row).
 */
export class ChainWalker {
  private expectedSeq = 1;
  private previousHash = GENESIS_HASH;
  rows = 0;

  /** Checks the next row; returns the fault, or null when it follows. */
  next(row: StoredAuditRow): ChainFault | null {
    if (row.seq !== this.expectedSeq)
      return { row, problem: { kind: "seq_gap", expected: this.expectedSeq } };
    if (row.prevHash !== this.previousHash) {
      return { row, problem: { kind: "broken_link", expected: this.previousHash } };
    }
    let computed: string;
    try {
      computed = auditHash(row.prevHash, row);
    } catch (error) {
      return {
        row,
        problem: { kind: "bad_row", message: error instanceof Error ? error.message : String(error) },
      };
    }
    if (computed !== row.hash) return { row, problem: { kind: "hash_mismatch", computed } };
    this.expectedSeq++;
    this.previousHash = row.hash;
    this.rows++;
    return null;
  }

  /** The stored head must name the last row: otherwise rows were cut off the end (or the head was edited). */
  end(head: { seq: number; hash: string } | null): ChainFault | null {
    const lastSeq = this.expectedSeq - 1;
    const matches = head === null ? lastSeq === 0 : head.seq === lastSeq && head.hash === this.previousHash;
    return matches ? null : { row: null, problem: { kind: "head_mismatch", head } };
  }

  get headHash(): string {
    return this.previousHash;
  }
}
