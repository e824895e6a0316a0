import type { ApprovalOnTimeout, ApprovalRoute } from "@agentboard/protocol";

/** Server-side routing rules, from config (AGENTBOARD_APPROVAL_*). */
export interface ApprovalPolicy {
  /** confidence ≥ this → auto_approved. 101 turns auto-approval off (confidence is at most 100). */
  autoThreshold: number;
  /** confidence ≥ this (and below auto) → quick review. Never above autoThreshold. */
  quickThreshold: number;
  /** Types that always get a full human review, whatever the confidence. */
  alwaysReview: ReadonlySet<string>;
  /** Expiry for requests that give no `expiresInSec`; 0 = they do not expire. */
  defaultExpirySec: number;
  /** What a timed-out request becomes when it does not say (`onTimeout`). */
  onTimeout: ApprovalOnTimeout;
}

export const DEFAULT_APPROVAL_POLICY: ApprovalPolicy = {
  autoThreshold: 85,
  quickThreshold: 60,
  alwaysReview: new Set(),
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
  };
}

/**
 * Routes a new approval. Precedence, first match wins:
 * 1. the type is listed "always review" → full review (a high confidence never lightens it);
 * 2. confidence ≥ autoThreshold → auto-approved at creation;
 * 3. confidence ≥ quickThreshold → quick review;
 * 4. lower or no confidence → full review.
 * The agent's confidence is an input; the thresholds and overrides are the server's.
 */
export function routeApproval(input: RoutingInput, policy: ApprovalPolicy): RoutingDecision {
  const { type, confidence } = input;
  const alwaysReview = policy.alwaysReview.has(type);
  const inputs = {
    type,
    confidence: confidence ?? null,
    autoThreshold: policy.autoThreshold,
    quickThreshold: policy.quickThreshold,
    alwaysReview,
  };
  if (alwaysReview) {
    return { route: "full", status: "pending", reason: `type "${type}" is configured always-review`, inputs };
  }
  if (confidence === undefined) {
    return { route: "full", status: "pending", reason: "no confidence given: full review", inputs };
  }
  if (confidence >= policy.autoThreshold) {
    return {
      route: "auto",
      status: "auto_approved",
      reason: `auto-approved: confidence ${confidence} ≥ ${policy.autoThreshold}`,
      inputs,
    };
  }
  if (confidence >= policy.quickThreshold) {
    return {
      route: "quick",
      status: "pending",
      reason: `quick review: confidence ${confidence} ≥ ${policy.quickThreshold}`,
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
