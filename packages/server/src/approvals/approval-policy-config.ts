import { ConfigError } from "../config/error.js";
import type { Config } from "../config.js";
import type { ApprovalPolicy } from "./approval-policy.js";

type PolicyConfig = Pick<
  Config,
  | "approvalAutoThreshold"
  | "approvalQuickThreshold"
  | "approvalAlwaysReview"
  | "approvalAutoTypes"
  | "approvalDefaultExpirySec"
  | "approvalOnTimeout"
>;

/**
 * The policy from the resolved configuration. The one rule that spans two options (quick ≤ auto) is
 * checked here and fails the start with one line, like every other bad setting.
 */
export function approvalPolicyFromConfig(config: PolicyConfig): ApprovalPolicy {
  if (config.approvalQuickThreshold > config.approvalAutoThreshold) {
    throw new ConfigError(
      "AGENTBOARD_APPROVAL_QUICK_THRESHOLD",
      `AGENTBOARD_APPROVAL_QUICK_THRESHOLD must be at most AGENTBOARD_APPROVAL_AUTO_THRESHOLD (got ${config.approvalQuickThreshold} > ${config.approvalAutoThreshold})`,
    );
  }
  return {
    autoThreshold: config.approvalAutoThreshold,
    quickThreshold: config.approvalQuickThreshold,
    alwaysReview: new Set(config.approvalAlwaysReview),
    autoTypes: new Set(config.approvalAutoTypes),
    defaultExpirySec: config.approvalDefaultExpirySec,
    onTimeout: config.approvalOnTimeout,
  };
}
