import type { Approval } from "@agentboard/protocol";
import { hasRole, type Principal } from "../auth/principal.js";
import { forbidden } from "../errors/agentboard-errors.js";

/** Agents need this scope to ask for approvals. */
export const REQUEST_SCOPE = "approvals:request";

/**
 * Who may do what with approvals (contract.md "Approvals"). Each check below throws `forbidden`. The
 * workspace itself is never checked here: every store query is scoped by the caller's workspace, so another
 * tenant's approval is simply `not_found`.
 */

/**
 * Users see every approval of their workspace (the inbox); an agent sees only its own requests, as on the
 * realtime `approval` feed: other agents' pending actions (and their arguments) are none of its business.
 * What a caller cannot see is `not_found`, never `forbidden`, so it does not learn that it exists.
 */
export function canSee(principal: Principal, approval: Approval): boolean {
  return principal.kind === "user" || isRequester(principal, approval);
}

/** Agents with the request scope, and users who may act (members and above). */
export function assertCanRequest(principal: Principal): void {
  if (principal.kind === "agent") {
    if (!principal.scopes?.includes(REQUEST_SCOPE))
      throw forbidden(`this agent lacks the "${REQUEST_SCOPE}" scope`);
    return;
  }
  if (!hasRole(principal, "member")) throw forbidden("viewers cannot request approvals");
}

/** Deciding is for humans of role member or above; agents and viewers decide nothing. */
export function assertMayDecide(principal: Principal): void {
  if (principal.kind === "agent") throw forbidden("agents cannot decide approvals; a human user must");
  if (!hasRole(principal, "member")) throw forbidden("viewers cannot decide approvals");
}

/** …and never on their own request, whatever their role. */
export function assertCanDecide(principal: Principal, approval: Approval): void {
  assertMayDecide(principal);
  if (isRequester(principal, approval)) throw forbidden("the requester cannot decide its own request");
}

/** The requester may withdraw its request; admins and owners may cancel anyone's. */
export function assertCanCancel(principal: Principal, approval: Approval): void {
  if (isRequester(principal, approval) || hasRole(principal, "admin")) return;
  throw forbidden("only the requester or an admin or owner can cancel a request");
}

function isRequester(principal: Principal, approval: Approval): boolean {
  return approval.requestedBy.kind === principal.kind && approval.requestedBy.id === principal.id;
}
