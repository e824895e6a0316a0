import type { ApprovalStore } from "./approval-store.js";
import { actionHash, type ChainFault, ChainWalker, type StoredAuditRow } from "./audit-chain.js";

const PAGE = 1_000;

/** The first thing found wrong, named precisely enough to find the row in the database. */
export interface AuditFault {
  workspaceId: string;
  seq?: number;
  approvalId?: string;
  message: string;
}

export interface WorkspaceAuditSummary {
  workspaceId: string;
  rows: number;
  approvals: number;
  /** The chain's last hash: record it elsewhere to detect a wholesale rewrite later. */
  headHash: string;
}

export type AuditVerifyReport =
  | { ok: true; workspaces: WorkspaceAuditSummary[] }
  | { ok: false; workspaces: WorkspaceAuditSummary[]; fault: AuditFault };

/** Per approval, what its audit rows say. */
interface Trail {
  rows: number;
  lastTo: string;
  createdArgsHash: unknown;
}

/**
 * Verifies each workspace's chain, then cross-checks every approval against it: an edited, inserted,
 * reordered or deleted audit row breaks the chain; an approval row edited without writing audit (a status
 * flipped to approved, arguments swapped after approval) no longer matches what its chain says. Stops at the
 * first fault. A chain rewritten wholesale with valid hashes is only detected against a head hash recorded
 * outside the database, which is why the summary prints each head.
 */
export async function verifyAuditChains(
  store: ApprovalStore,
  workspaceIds: readonly string[],
): Promise<AuditVerifyReport> {
  const workspaces: WorkspaceAuditSummary[] = [];
  for (const workspaceId of workspaceIds) {
    const result = await verifyWorkspace(store, workspaceId);
    if ("fault" in result) return { ok: false, workspaces, fault: result.fault };
    workspaces.push(result.summary);
  }
  return { ok: true, workspaces };
}

async function verifyWorkspace(
  store: ApprovalStore,
  workspaceId: string,
): Promise<{ summary: WorkspaceAuditSummary } | { fault: AuditFault }> {
  const walker = new ChainWalker();
  const trails = new Map<string, Trail>();
  let afterSeq = 0;
  for (;;) {
    const page = await store.auditRows(workspaceId, afterSeq, PAGE);
    for (const row of page) {
      const fault = walker.next(row);
      if (fault) return { fault: describeChainFault(workspaceId, fault) };
      const trail = trails.get(row.approvalId);
      if (trail) {
        trail.rows++;
        trail.lastTo = row.to;
      } else {
        trails.set(row.approvalId, { rows: 1, lastTo: row.to, createdArgsHash: row.details?.argsHash });
      }
    }
    if (page.length < PAGE) break;
    afterSeq = page[page.length - 1]!.seq;
  }
  const endFault = walker.end(await store.auditHead(workspaceId));
  if (endFault) return { fault: describeChainFault(workspaceId, endFault) };

  let approvals = 0;
  let afterId = "";
  for (;;) {
    const page = await store.integrityRows(workspaceId, afterId, PAGE);
    for (const approval of page) {
      approvals++;
      const fault = (message: string) => ({ fault: { workspaceId, approvalId: approval.id, message } });
      const trail = trails.get(approval.id);
      trails.delete(approval.id);
      if (!trail) return fault("the approval has no audit rows");
      if (trail.rows !== approval.version) {
        return fault(`the approval is at version ${approval.version} but has ${trail.rows} audit row(s)`);
      }
      if (trail.lastTo !== approval.status) {
        return fault(
          `the approval's status is ${approval.status} but its last audit row says ${trail.lastTo}`,
        );
      }
      if (trail.createdArgsHash !== approval.argsHash) {
        return fault("the approval's argsHash differs from the one recorded when it was created");
      }
      let recomputed: string | undefined;
      try {
        recomputed = actionHash(approval.action);
      } catch {
        recomputed = undefined;
      }
      if (recomputed !== approval.argsHash) return fault("the approval's action does not match its argsHash");
    }
    if (page.length < PAGE) break;
    afterId = page[page.length - 1]!.id;
  }
  const [orphan] = trails.keys();
  if (orphan !== undefined) {
    return {
      fault: { workspaceId, approvalId: orphan, message: "audit rows exist for an approval that does not" },
    };
  }
  return { summary: { workspaceId, rows: walker.rows, approvals, headHash: walker.headHash } };
}

function describeChainFault(workspaceId: string, fault: ChainFault): AuditFault {
  const { row, problem } = fault;
  const at = (r: StoredAuditRow) => ({ workspaceId, seq: r.seq, approvalId: r.approvalId });
  switch (problem.kind) {
    case "seq_gap":
      return {
        ...at(row!),
        message:
          row!.seq > problem.expected
            ? `gap in seq: expected ${problem.expected}, found ${row!.seq} (rows were deleted)`
            : `seq ${row!.seq} is out of order: expected ${problem.expected}`,
      };
    case "broken_link":
      return { ...at(row!), message: "broken prev link: prev_hash is not the hash of the row before" };
    case "hash_mismatch":
      return {
        ...at(row!),
        message: `hash mismatch: the row's content was changed (stored ${row!.hash.slice(0, 16)}…, computed ${problem.computed.slice(0, 16)}…)`,
      };
    case "bad_row":
      return { ...at(row!), message: `unreadable row: ${problem.message}` };
    case "head_mismatch":
      return {
        workspaceId,
        seq: problem.head?.seq,
        message: problem.head
          ? `head mismatch: the head records seq ${problem.head.seq} but the chain does not end there with that hash (rows removed from the end, or the head changed)`
          : "head mismatch: the chain has rows but no head",
      };
  }
}
