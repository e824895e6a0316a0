import type { Interrupt } from "@ag-ui/core";
import {
  AGUI_APPROVAL_REASON,
  AgentboardError,
  AguiDecisionSchema,
  APPROVAL_LIMITS,
  type Approval,
} from "@agentboard/protocol";
import { z } from "zod";
import { assertCanDecide, assertMayDecide } from "../approvals/approval-permissions.js";
import type { ApprovalService } from "../approvals/approval-service.js";
import type { Principal } from "../auth/principal.js";

/** Interrupts one run raises at most (the newest); the next run raises the rest. */
export const MAX_INTERRUPTS = 100;

/** What a resume entry's payload must be, for a front-end to build its form from. */
const RESPONSE_SCHEMA = z.toJSONSchema(AguiDecisionSchema) as Record<string, unknown>;

/** Whether a permission check passes (they throw `forbidden`). */
function allowed(check: () => void): boolean {
  try {
    check();
    return true;
  } catch (error) {
    if (AgentboardError.isInstance(error)) return false;
    throw error;
  }
}

/** The inbox's rule for deciding: users of role member and above, never on their own request. */
export function mayDecide(principal: Principal, approval: Approval): boolean {
  return approval.status === "pending" && allowed(() => assertCanDecide(principal, approval));
}

export function interruptOf(approval: Approval): Interrupt {
  return {
    id: approval.id,
    reason: AGUI_APPROVAL_REASON,
    message: approval.description ? `${approval.title}: ${approval.description}` : approval.title,
    responseSchema: RESPONSE_SCHEMA,
    ...(approval.expiresAt ? { expiresAt: approval.expiresAt } : {}),
    metadata: { approval },
  };
}

/**
 * The pending approvals of the caller's inbox that it may decide, newest first, less those in `skip` (the
 * ones this run's resume set aside). Agents and viewers decide nothing, so they get none: an interrupt its
 * caller cannot answer would stall the thread.
 */
export async function pendingInterrupts(
  approvals: ApprovalService,
  principal: Principal,
  skip: ReadonlySet<string>,
): Promise<Interrupt[]> {
  if (!allowed(() => assertMayDecide(principal))) return [];
  const found: Interrupt[] = [];
  let cursor: string | undefined;
  do {
    const page = await approvals.list(principal, {
      status: "pending",
      limit: APPROVAL_LIMITS.maxListLimit,
      cursor,
    });
    for (const approval of page.items) {
      if (!skip.has(approval.id) && mayDecide(principal, approval)) found.push(interruptOf(approval));
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && found.length < MAX_INTERRUPTS);
  return found.slice(0, MAX_INTERRUPTS);
}
