import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ApprovalPolicy,
  DEFAULT_APPROVAL_POLICY,
  routeApproval,
} from "../../src/approvals/approval-policy.js";
import { approvalPolicyFromConfig } from "../../src/approvals/approval-policy-config.js";
import { ConfigError, loadConfig } from "../../src/config.js";

const policy = (overrides: Partial<ApprovalPolicy> = {}): ApprovalPolicy => ({
  ...DEFAULT_APPROVAL_POLICY,
  ...overrides,
});

describe("routeApproval (pure policy)", () => {
  it.each([
    [undefined, "full", "full"],
    [0, "full", "full"],
    [40, "full", "full"],
    [59.99, "full", "full"],
    [60, "quick", "quick"],
    [84.5, "quick", "quick"],
    [85, "auto", "quick"],
    [100, "auto", "quick"],
  ])(
    "with default thresholds, confidence %s → %s for a type listed for auto-approval, else %s",
    (confidence, listedRoute, unlistedRoute) => {
      const listed = routeApproval(
        { type: "deploy", confidence },
        policy({ autoTypes: new Set(["deploy"]) }),
      );
      const unlisted = routeApproval({ type: "deploy", confidence }, policy());
      expect(listed.route).toBe(listedRoute);
      expect(listed.status).toBe(listedRoute === "auto" ? "auto_approved" : "pending");
      expect(unlisted).toMatchObject({ route: unlistedRoute, status: "pending" });
      for (const [decision, autoListed] of [
        [listed, true],
        [unlisted, false],
      ] as const) {
        expect(decision.inputs).toEqual({
          type: "deploy",
          confidence: confidence ?? null,
          autoThreshold: 85,
          quickThreshold: 60,
          alwaysReview: false,
          autoListed,
        });
        expect(decision.reason.length).toBeGreaterThan(0);
      }
    },
  );

  it("by default no type is auto-approved: an agent claiming confidence 100 still waits for a human", () => {
    const decision = routeApproval({ type: "db.drop", confidence: 100 }, policy());
    expect(decision).toMatchObject({ route: "quick", status: "pending", inputs: { autoListed: false } });
    expect(decision.reason).toBe(
      'quick review: confidence 100 ≥ 60 (type "db.drop" is not listed for auto-approval)',
    );
  });

  it("an always-review type gets a full review even at confidence 100, even when listed for auto-approval", () => {
    const decision = routeApproval(
      { type: "deploy", confidence: 100 },
      policy({ alwaysReview: new Set(["deploy"]), autoTypes: new Set(["deploy", "email"]) }),
    );
    expect(decision).toMatchObject({
      route: "full",
      status: "pending",
      inputs: { alwaysReview: true, autoListed: true },
    });
    expect(decision.reason).toContain("always-review");
    expect(
      routeApproval(
        { type: "email", confidence: 100 },
        policy({ alwaysReview: new Set(["deploy"]), autoTypes: new Set(["deploy", "email"]) }),
      ).status,
    ).toBe("auto_approved");
  });

  it("auto threshold 101 turns auto-approval off; equal thresholds leave no quick band", () => {
    const listed = { autoTypes: new Set(["t"]) };
    expect(
      routeApproval({ type: "t", confidence: 100 }, policy({ ...listed, autoThreshold: 101 })).route,
    ).toBe("quick");
    const equal = policy({ ...listed, autoThreshold: 70, quickThreshold: 70 });
    expect(routeApproval({ type: "t", confidence: 70 }, equal).route).toBe("auto");
    expect(routeApproval({ type: "t", confidence: 69 }, equal).route).toBe("full");
  });

  it("follows its written precedence for any thresholds, confidence and type lists (property)", () => {
    const arbitraryPolicy = fc
      .tuple(fc.integer({ min: 1, max: 101 }), fc.integer({ min: 0, max: 100 }), fc.boolean(), fc.boolean())
      .filter(([auto, quick]) => quick <= auto);
    fc.assert(
      fc.property(
        arbitraryPolicy,
        fc.option(fc.double({ min: 0, max: 100, noNaN: true }), { nil: undefined }),
        ([autoThreshold, quickThreshold, alwaysReview, autoListed], confidence) => {
          const p = policy({
            autoThreshold,
            quickThreshold,
            alwaysReview: new Set(alwaysReview ? ["t"] : []),
            autoTypes: new Set(autoListed ? ["t"] : []),
          });
          const { route, status } = routeApproval({ type: "t", confidence }, p);
          const expected = alwaysReview
            ? "full"
            : confidence === undefined
              ? "full"
              : autoListed && confidence >= autoThreshold
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
      AGENTBOARD_APPROVAL_AUTO_TYPES: "email.digest,ticket:label",
      AGENTBOARD_APPROVAL_DEFAULT_EXPIRY_SEC: "3600",
      AGENTBOARD_APPROVAL_ON_TIMEOUT: "reject",
    });
    expect(approvalPolicyFromConfig(config)).toEqual({
      autoThreshold: 90,
      quickThreshold: 50,
      alwaysReview: new Set(["deploy", "send_email"]),
      autoTypes: new Set(["email.digest", "ticket:label"]),
      defaultExpirySec: 3600,
      onTimeout: "reject",
    });
  });

  it.each([
    ["AGENTBOARD_APPROVAL_AUTO_THRESHOLD", "0", "an integer from 1 to 101"],
    ["AGENTBOARD_APPROVAL_AUTO_THRESHOLD", "102", "an integer from 1 to 101"],
    ["AGENTBOARD_APPROVAL_QUICK_THRESHOLD", "-1", "an integer from 0 to 100"],
    ["AGENTBOARD_APPROVAL_ALWAYS_REVIEW", "Deploy", "a comma-separated list of approval types"],
    ["AGENTBOARD_APPROVAL_AUTO_TYPES", "deploy,DB DROP", "a comma-separated list of approval types"],
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

  it("read approvalAutoTypes from the config file as an array or a comma string; a bad entry is one line", () => {
    const dir = mkdtempSync(join(tmpdir(), "agentboard-auto-types-"));
    try {
      const file = (content: unknown) => {
        const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
        writeFileSync(path, JSON.stringify(content));
        return path;
      };
      const fromFile = (content: unknown) =>
        approvalPolicyFromConfig(loadConfig({ env: {}, cwd: dir, file: file(content) })).autoTypes;
      expect(fromFile({ approvalAutoTypes: ["email.digest", "ticket:label"] })).toEqual(
        new Set(["email.digest", "ticket:label"]),
      );
      expect(fromFile({ approvalAutoTypes: "email.digest, ticket:label" })).toEqual(
        new Set(["email.digest", "ticket:label"]),
      );
      expect(fromFile({})).toEqual(new Set());

      const bad = file({ approvalAutoTypes: ["deploy", 7] });
      let caught: unknown;
      try {
        loadConfig({ env: {}, cwd: dir, file: bad });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ConfigError);
      expect((caught as ConfigError).message).toBe(
        `approvalAutoTypes in ${bad} must be a comma-separated list of approval types (lowercase slugs) (got ["deploy",7])`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
