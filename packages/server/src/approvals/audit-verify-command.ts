import type { Kysely } from "kysely";
import type { Database } from "../storage/schema.js";
import { verifyAuditChains } from "./audit-verify.js";
import { KyselyApprovalStore } from "./kysely-approval-store.js";

export interface AuditVerifyOutcome {
  exitCode: 0 | 1;
  /** stdout on success, stderr on failure. */
  lines: string[];
}

/**
 * `agentboard audit verify [--workspace NAME]`: every workspace's chain (or one), with a summary line and
 * each head hash on success, or one line naming the first bad row on failure.
 */
export async function runAuditVerify(
  db: Kysely<Database>,
  workspaceName: string | undefined,
): Promise<AuditVerifyOutcome | { usageError: string }> {
  const store = new KyselyApprovalStore(db);
  const workspaces = await db.selectFrom("workspaces").select(["id", "name"]).execute();
  const nameOf = new Map(workspaces.map((w) => [w.id, w.name]));
  let ids: string[];
  if (workspaceName !== undefined) {
    const workspace = workspaces.find((w) => w.name === workspaceName);
    if (!workspace) return { usageError: `no workspace "${workspaceName}" in this data dir` };
    ids = [workspace.id];
  } else ids = await store.auditWorkspaces();

  const report = await verifyAuditChains(store, ids);
  const label = (id: string) => `${nameOf.get(id) ?? "(unknown workspace)"} (${id})`;
  if (!report.ok) {
    const { fault } = report;
    const where = [
      `workspace ${label(fault.workspaceId)}`,
      ...(fault.seq !== undefined ? [`seq ${fault.seq}`] : []),
      ...(fault.approvalId !== undefined ? [`approval ${fault.approvalId}`] : []),
    ].join(", ");
    return { exitCode: 1, lines: [`audit verify: FAILED at ${where}: ${fault.message}`] };
  }
  const rows = report.workspaces.reduce((n, w) => n + w.rows, 0);
  const approvals = report.workspaces.reduce((n, w) => n + w.approvals, 0);
  return {
    exitCode: 0,
    lines: [
      `audit verify: OK: ${report.workspaces.length} workspace(s), ${rows} audit row(s), ${approvals} approval(s) checked`,
      ...report.workspaces.map((w) => `  ${label(w.workspaceId)}: ${w.rows} row(s), head ${w.headHash}`),
    ],
  };
}
