import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ApprovalPolicy,
  DEFAULT_APPROVAL_POLICY,
  routeApproval,
} from "../src/approvals/approval-policy.js";
import { approvalPolicyFromConfig } from "../src/approvals/approval-policy-config.js";
import { ConfigError, loadConfig } from "../src/config.js";

const policy = (overrides: Partial<ApprovalPolicy> = {}): ApprovalPolicy => ({
  ...DEFAULT_APPROVAL_POLICY,
  ...overrides,
});

describe("routeApproval (pure policy)", () => {
  it.each([
    [undefined, "full", "pending"],
    [0, "full", "pending"],
    [40, "full", "pending"],
    [59.99, "full", "pending"],
    [60, "quick", "pending"],
    [84.5, "quick", "pending"],
    [85, "auto", "auto_approved"],
    [100, "auto", "auto_approved"],
  ])("with default thresholds, confidence %s → %s / %s", (confidence, route, status) => {
    const decision = routeApproval({ type: "deploy", confidence }, policy());
    expect({ route: decision.route, status: decision.status }).toEqual({ route, status });
    expect(decision.inputs).toEqual({
      type: "deploy",
      confidence: confidence ?? null,
      autoThreshold: 85,
      quickThreshold: 60,
      alwaysReview: false,
    });
    expect(decision.reason.length).toBeGreaterThan(0);
  });

  it("an always-review type gets a full review even at confidence 100", () => {
    const decision = routeApproval(
      { type: "deploy", confidence: 100 },
      policy({ alwaysReview: new Set(["deploy"]) }),
    );
    expect(decision).toMatchObject({ route: "full", status: "pending", inputs: { alwaysReview: true } });
    expect(decision.reason).toContain("always-review");
    expect(
      routeApproval({ type: "email", confidence: 100 }, policy({ alwaysReview: new Set(["deploy"]) })).status,
    ).toBe("auto_approved");
  });

  it("auto threshold 101 turns auto-approval off; equal thresholds leave no quick band", () => {
    expect(routeApproval({ type: "t", confidence: 100 }, policy({ autoThreshold: 101 })).route).toBe("quick");
    const equal = policy({ autoThreshold: 70, quickThreshold: 70 });
    expect(routeApproval({ type: "t", confidence: 70 }, equal).route).toBe("auto");
    expect(routeApproval({ type: "t", confidence: 69 }, equal).route).toBe("full");
  });

  it("follows its written precedence for any thresholds, confidence and override (property)", () => {
    const arbitraryPolicy = fc
      .tuple(fc.integer({ min: 1, max: 101 }), fc.integer({ min: 0, max: 100 }), fc.boolean())
      .filter(([auto, quick]) => quick <= auto);
    fc.assert(
      fc.property(
        arbitraryPolicy,
        fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: undefined }),
        ([autoThreshold, quickThreshold, listed], confidence) => {
          const p = policy({ autoThreshold, quickThreshold, alwaysReview: new Set(listed ? ["t"] : []) });
          const { route, status } = routeApproval({ type: "t", confidence }, p);
          const expected = listed
            ? "full"
            : confidence === undefined
              ? "full"
              : confidence >= autoThreshold
                ? "auto"
                : confidence >= quickThreshold
                  ? "quick"
                  : "full";
          expect(route).toBe(expected);
          expect(status).toBe(route === "auto" ? "auto_approved" : "pending");
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("approval settings", () => {
  const load = (env: Record<string, string>) => loadConfig({ env, cwd: "/tmp" });

  it("have the documented defaults", () => {
    expect(approvalPolicyFromConfig(load({}))).toEqual(DEFAULT_APPROVAL_POLICY);
  });

  it("parse every option", () => {
    const config = load({
      AGENTBOARD_APPROVAL_AUTO_THRESHOLD: "90",
      AGENTBOARD_APPROVAL_QUICK_THRESHOLD: "50",
      AGENTBOARD_APPROVAL_ALWAYS_REVIEW: "deploy, send_email",
      AGENTBOARD_APPROVAL_DEFAULT_EXPIRY_SEC: "3600",
      AGENTBOARD_APPROVAL_ON_TIMEOUT: "reject",
    });
    expect(approvalPolicyFromConfig(config)).toEqual({
      autoThreshold: 90,
      quickThreshold: 50,
      alwaysReview: new Set(["deploy", "send_email"]),
      defaultExpirySec: 3600,
      onTimeout: "reject",
    });
  });

  it.each([
    ["AGENTBOARD_APPROVAL_AUTO_THRESHOLD", "0", "an integer from 1 to 101"],
    ["AGENTBOARD_APPROVAL_AUTO_THRESHOLD", "102", "an integer from 1 to 101"],
    ["AGENTBOARD_APPROVAL_QUICK_THRESHOLD", "-1", "an integer from 0 to 100"],
    ["AGENTBOARD_APPROVAL_ALWAYS_REVIEW", "Deploy", "a comma-separated list of approval types"],
    ["AGENTBOARD_APPROVAL_DEFAULT_EXPIRY_SEC", "2592001", "an integer from 0 to 2592000"],
    ["AGENTBOARD_APPROVAL_ON_TIMEOUT", "approve", "one of expire, reject"],
  ])("refuse %s=%s with one line naming the option", (name, value, allowed) => {
    let caught: unknown;
    try {
      load({ [name]: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).message).toContain(name);
    expect((caught as ConfigError).message).toContain(allowed);
  });

  it("refuse a quick threshold above the auto threshold when the policy is built (at start)", () => {
    const config = load({
      AGENTBOARD_APPROVAL_AUTO_THRESHOLD: "50",
      AGENTBOARD_APPROVAL_QUICK_THRESHOLD: "60",
    });
    expect(() => approvalPolicyFromConfig(config)).toThrow(ConfigError);
    expect(() => approvalPolicyFromConfig(config)).toThrow(
      /AGENTBOARD_APPROVAL_QUICK_THRESHOLD must be at most/,
    );
  });
});
