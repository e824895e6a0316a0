import type { ResumeEntry } from "@ag-ui/core";
import { type AguiDecision, AguiDecisionSchema, toValidationIssues } from "@agentboard/protocol";
import { assertCanDecide } from "../approvals/approval-permissions.js";
import type { ApprovalService } from "../approvals/approval-service.js";
import type { Principal } from "../auth/principal.js";
import { conflict, invalid } from "../errors/agentboard-errors.js";
import { MAX_INTERRUPTS } from "./approval-interrupts.js";

/** What a run's `resume` asks for, checked: the decisions to make, and the interrupts set aside. */
export interface ResumePlan {
  decisions: Array<{ id: string; decision: AguiDecision }>;
  /** Answered `cancelled`: nothing is decided, and this run does not raise them again. */
  setAside: Set<string>;
}

/**
 * Checks every entry before anything is decided, with the inbox's permissions: the approval must be one the
 * caller sees (another workspace's is `not_found`), may decide (`forbidden`) and that is still pending
 * (`conflict`); a resolved entry's payload must be a decision (`invalid`). Any failure throws, and then
 * nothing is decided.
 */
export async function planResume(
  approvals: ApprovalService,
  principal: Principal,
  entries: readonly ResumeEntry[],
): Promise<ResumePlan> {
  if (entries.length > MAX_INTERRUPTS)
    throw invalid(`a run answers at most ${MAX_INTERRUPTS} interrupts (one run raises no more)`);
  const plan: ResumePlan = { decisions: [], setAside: new Set() };
  const answered = new Set<string>();
  for (const entry of entries) {
    const id = entry.interruptId;
    if (answered.has(id)) throw invalid(`interrupt "${id}" is answered twice`);
    answered.add(id);
    if (entry.status === "cancelled") {
      plan.setAside.add(id);
      continue;
    }
    const payload = AguiDecisionSchema.safeParse(entry.payload);
    if (!payload.success) {
      throw invalid(`the answer to interrupt "${id}" must be {decision: "approve"|"reject", reason?}`, {
        issues: toValidationIssues(payload.error),
      });
    }
    const approval = await approvals.get(principal, id);
    assertCanDecide(principal, approval);
    if (approval.status !== "pending")
      throw conflict(`approval ${id} is already ${approval.status}`, { status: approval.status });
    plan.decisions.push({ id, decision: payload.data });
  }
  return plan;
}

/** Makes the planned decisions, in order, through the approvals service (each its own compare-and-set). */
export async function applyResume(
  approvals: ApprovalService,
  principal: Principal,
  plan: ResumePlan,
): Promise<void> {
  for (const { id, decision } of plan.decisions) {
    if (decision.decision === "approve") await approvals.approve(principal, id, decision.reason);
    else await approvals.reject(principal, id, decision.reason);
  }
}
