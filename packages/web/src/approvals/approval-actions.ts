import type { Approval } from "@agentboard/protocol";
import { board } from "../lib/api";
import { describeError, httpStatusOf } from "../lib/errors";
import { notify } from "../lib/notices-store";
import { applyApproval, approvalsStore, setBusy } from "./approvals-store";

export type Decision = "approve" | "reject" | "cancel";

const DONE = { approve: "approved", reject: "rejected", cancel: "cancelled" } as const;

/** Decides one approval; a 409 means someone else was first, and the approval is re-read. */
export async function decide(id: string, decision: Decision, reason?: string): Promise<void> {
  const text = reason?.trim() ? reason.trim() : undefined;
  setBusy(id, decision);
  try {
    let approval: Approval;
    if (decision === "approve") approval = await board.approvals.approve(id, text);
    else if (decision === "reject") approval = await board.approvals.reject(id, text);
    else approval = await board.approvals.cancel(id, text);
    applyApproval(approval);
  } catch (error) {
    setBusy(id, null);
    if (httpStatusOf(error) === 409) {
      const latest = await board.approvals.get(id).catch(() => undefined);
      if (latest) applyApproval(latest);
      notify(
        "info",
        `That request was already ${latest ? latest.status.replace("_", " ") : "decided"} elsewhere.`,
      );
      return;
    }
    notify("error", `Could not mark the request ${DONE[decision]}: ${describeError(error)}`);
  }
}

/** Approves or rejects every ticked approval in one request. */
export async function decideChecked(decision: "approve" | "reject", reason?: string): Promise<void> {
  const ids = Object.keys(approvalsStore.getState().checked);
  if (ids.length === 0) return;
  for (const id of ids) setBusy(id, decision);
  try {
    const text = reason?.trim() ? reason.trim() : undefined;
    const { results } = await board.approvals.bulk(ids, decision, text);
    const failed = results.filter((result) => !result.ok);
    for (const result of results) {
      if (result.approval) applyApproval(result.approval);
      else setBusy(result.id, null);
    }
    if (failed.length > 0) {
      notify(
        "info",
        `${failed.length} of ${ids.length} requests were not ${DONE[decision]} (already decided or not allowed).`,
      );
    }
  } catch (error) {
    for (const id of ids) setBusy(id, null);
    notify("error", `Bulk ${decision} failed: ${describeError(error)}`);
  }
}
