import type { ApprovalOnTimeout, ApprovalRoute } from "@agentboard/protocol";

/** Server-side routing rules, from config (AGENTBOARD_APPROVAL_*). */
export interface ApprovalPolicy {
  /**
   * confidence ≥ this → auto_approved, for a type listed in `autoTypes` only. 101 turns auto-approval off
   * (confidence is at most 100).
   */
  autoThreshold: number;
  /** confidence ≥ this (and below auto) → quick review. Never above autoThreshold. */
  quickThreshold: number;
  /** Types that always get a full human review, whatever the confidence. */
  alwaysReview: ReadonlySet<string>;
  /**
   * The only types that may be auto-approved. The confidence is the requester's own claim, so on its own it
   * may route (quick vs full) but never decide: an admin opts each type in. Empty by default.
   */
  autoTypes: ReadonlySet<string>;
  /** Expiry for requests that give no `expiresInSec`; 0 = they do not expire. */
  defaultExpirySec: number;
  /** What a timed-out request becomes when it does not say (`onTimeout`). */
  onTimeout: ApprovalOnTimeout;
}

export const DEFAULT_APPROVAL_POLICY: ApprovalPolicy = {
  autoThreshold: 85,
  quickThreshold: 60,
  alwaysReview: new Set(),
  autoTypes: new Set(),
  defaultExpirySec: 0,
  onTimeout: "expire",
};

export interface RoutingInput {
  type: string;
  /** The agent's own confidence (0–100), if it gave one. */
  confidence?: number;
}

export interface RoutingDecision {
  route: ApprovalRoute;
  status: "pending" | "auto_approved";
  /** One sentence naming the rule that decided, for the audit row and the inbox. */
  reason: string;
  /** The inputs the decision was made from, recorded in the creation audit row. */
  inputs: {
    type: string;
    confidence: number | null;
    autoThreshold: number;
    quickThreshold: number;
    alwaysReview: boolean;
    /** Whether the type is listed in `autoTypes`, i.e. may be auto-approved at all. */
    autoListed: boolean;
  };
}

/**
 * Routes a new approval. Precedence, first match wins:
 * 1. the type is listed "always review" → full review (a high confidence never lightens it);
 * 2. the type is listed in `autoTypes` and confidence ≥ autoThreshold → auto-approved at creation;
 * 3. confidence ≥ quickThreshold → quick review (this includes an unlisted type at any confidence ≥ auto);
 * 4. lower or no confidence → full review.
 * The agent's confidence is an input, never the verdict on its own: an agent claiming 100 for a type nobody
 * listed still waits for a human. The thresholds and type lists are the server's.
 */
export function routeApproval(input: RoutingInput, policy: ApprovalPolicy): RoutingDecision {
  const { type, confidence } = input;
  const alwaysReview = policy.alwaysReview.has(type);
  const autoListed = policy.autoTypes.has(type);
  const inputs = {
    type,
    confidence: confidence ?? null,
    autoThreshold: policy.autoThreshold,
    quickThreshold: policy.quickThreshold,
    alwaysReview,
    autoListed,
  };
  if (alwaysReview) {
    return { route: "full", status: "pending", reason: `type "${type}" is configured always-review`, inputs };
  }
  if (confidence === undefined) {
    return { route: "full", status: "pending", reason: "no confidence given: full review", inputs };
  }
  if (autoListed && confidence >= policy.autoThreshold) {
    return {
      route: "auto",
      status: "auto_approved",
      reason: `auto-approved: confidence ${confidence} ≥ ${policy.autoThreshold}`,
      inputs,
    };
  }
  if (confidence >= policy.quickThreshold) {
    // Say why a confidence that would have auto-approved did not: the type is not listed.
    const unlisted =
      !autoListed && confidence >= policy.autoThreshold
        ? ` (type "${type}" is not listed for auto-approval)`
        : "";
    return {
      route: "quick",
      status: "pending",
      reason: `quick review: confidence ${confidence} ≥ ${policy.quickThreshold}${unlisted}`,
      inputs,
    };
  }
  return {
    route: "full",
    status: "pending",
    reason: `full review: confidence ${confidence} < ${policy.quickThreshold}`,
    inputs,
  };
}
