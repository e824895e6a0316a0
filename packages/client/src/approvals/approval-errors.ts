import type { Approval } from "@agentboard/protocol";
import { ApiRequestError } from "../errors.js";

const MARKER = Symbol.for("agentboard.approval-outcome");

function markerOf(value: unknown): unknown {
  return typeof value === "object" && value !== null ? (value as Record<symbol, unknown>)[MARKER] : undefined;
}

/**
 * How `handle.wait()` ends when the answer is not "go ahead". Each carries the approval as the server last
 * reported it. `isInstance` checks a marker instead of the prototype, so it holds across two copies of the
 * SDK in one program (like AgentboardError).
 */
export abstract class ApprovalOutcomeError extends Error {
  /** The class name, under a global symbol: what `isInstance` checks. */
  readonly [MARKER]: string;
  readonly approval: Approval;
  /** The decider's (or the expiry's) reason, when one was given. */
  readonly reason: string | undefined;

  protected constructor(name: string, message: string, approval: Approval) {
    super(message);
    this.name = name;
    this[MARKER] = name;
    this.approval = approval;
    this.reason = approval.reason;
  }

  static isInstance(value: unknown): value is ApprovalOutcomeError {
    return typeof markerOf(value) === "string";
  }
}

const because = (approval: Approval) => (approval.reason ? `: ${approval.reason}` : "");

/** A human rejected the request, or it timed out with `onTimeout: "reject"` (reason "timed out"). */
export class ApprovalRejectedError extends ApprovalOutcomeError {
  constructor(approval: Approval) {
    super("ApprovalRejectedError", `approval ${approval.id} was rejected${because(approval)}`, approval);
  }
  static override isInstance(value: unknown): value is ApprovalRejectedError {
    return markerOf(value) === "ApprovalRejectedError";
  }
}

/** The requester or an admin withdrew the request; `reason` says why, if they said. */
export class ApprovalCancelledError extends ApprovalOutcomeError {
  constructor(approval: Approval) {
    super("ApprovalCancelledError", `approval ${approval.id} was cancelled${because(approval)}`, approval);
  }
  static override isInstance(value: unknown): value is ApprovalCancelledError {
    return markerOf(value) === "ApprovalCancelledError";
  }
}

/** Nobody decided before `expiresAt`. */
export class ApprovalExpiredError extends ApprovalOutcomeError {
  constructor(approval: Approval) {
    super(
      "ApprovalExpiredError",
      `approval ${approval.id} expired at ${approval.expiresAt ?? "its deadline"}`,
      approval,
    );
  }
  static override isInstance(value: unknown): value is ApprovalExpiredError {
    return markerOf(value) === "ApprovalExpiredError";
  }
}

/** The caller's own wait ended first; the approval is still pending and can be waited for again. */
export class WaitTimeoutError extends ApprovalOutcomeError {
  constructor(approval: Approval, timeoutMs: number) {
    super(
      "WaitTimeoutError",
      `approval ${approval.id} is still pending after waiting ${timeoutMs} ms`,
      approval,
    );
  }
  static override isInstance(value: unknown): value is WaitTimeoutError {
    return markerOf(value) === "WaitTimeoutError";
  }
}

/** Resolves for approved | auto_approved; throws the typed outcome otherwise. */
export function settleOutcome(approval: Approval, timeoutMs: number): Approval {
  switch (approval.status) {
    case "approved":
    case "auto_approved":
      return approval;
    case "rejected":
      throw new ApprovalRejectedError(approval);
    case "cancelled":
      throw new ApprovalCancelledError(approval);
    case "expired":
      throw new ApprovalExpiredError(approval);
    case "pending":
      throw new WaitTimeoutError(approval, timeoutMs);
  }
}

const KEY_REUSED_MARKER = Symbol.for("agentboard.idempotency-key-reused");

/**
 * `approvals.request` with an `idempotencyKey` this principal already used for a different request: the
 * server answers `422 invalid` with `details.reason: "idempotency_key_reused"`. Retrying cannot help (the key
 * stays bound to the first request), so the SDK never retries it: send the original request again to get its
 * approval (`approvalId`), or use a new key. Still an ApiRequestError (code `invalid`, httpStatus 422).
 */
export class IdempotencyKeyReusedError extends ApiRequestError {
  readonly [KEY_REUSED_MARKER] = true;
  readonly idempotencyKey: string;
  /** The approval the key already belongs to, when the server named it. */
  readonly approvalId: string | undefined;

  constructor(cause: ApiRequestError, idempotencyKey: string) {
    super(cause.code, cause.message, cause.httpStatus, cause.details);
    this.name = "IdempotencyKeyReusedError";
    this.idempotencyKey = idempotencyKey;
    const id = (cause.details as { id?: unknown }).id;
    this.approvalId = typeof id === "string" ? id : undefined;
  }

  /** The server's answer for a reused key, whichever copy of the SDK built the error. */
  static matches(error: unknown): error is ApiRequestError {
    return (
      ApiRequestError.isInstance(error) &&
      error.code === "invalid" &&
      (error.details as { reason?: unknown } | undefined)?.reason === "idempotency_key_reused"
    );
  }

  static override isInstance(value: unknown): value is IdempotencyKeyReusedError {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as Record<symbol, unknown>)[KEY_REUSED_MARKER] === true
    );
  }
}
