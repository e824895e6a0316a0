import { describe, expect, it } from "vitest";
import { ApprovalSchema, ApprovalTypeSchema } from "./approval.js";
import {
  APPROVAL_LIMITS,
  BulkDecisionBodySchema,
  CreateApprovalBodySchema,
  ListApprovalsQuerySchema,
  WaitQuerySchema,
} from "./approvals-api.js";

const minimal = { type: "deploy", title: "Deploy web to production" };

describe("CreateApprovalBodySchema", () => {
  it("accepts a minimal and a full body", () => {
    expect(CreateApprovalBodySchema.safeParse(minimal).success).toBe(true);
    const full = {
      ...minimal,
      description: "Ships v2",
      action: { tool: "github.deploy", args: { env: "prod", sha: "abc", flags: [1, { x: null }] } },
      confidence: 72.5,
      priority: "high",
      expiresInSec: 3600,
      onTimeout: "reject",
      idempotencyKey: "deploy-abc-1",
    };
    expect(CreateApprovalBodySchema.safeParse(full).success).toBe(true);
  });

  it.each([
    ["unknown key", { ...minimal, status: "approved" }],
    ["empty title", { ...minimal, title: "" }],
    ["long title", { ...minimal, title: "t".repeat(APPROVAL_LIMITS.maxTitleLength + 1) }],
    ["long description", { ...minimal, description: "d".repeat(APPROVAL_LIMITS.maxDescriptionLength + 1) }],
    ["confidence > 100", { ...minimal, confidence: 101 }],
    ["negative confidence", { ...minimal, confidence: -1 }],
    ["zero expiry", { ...minimal, expiresInSec: 0 }],
    ["expiry over 30 days", { ...minimal, expiresInSec: 30 * 86_400 + 1 }],
    ["fractional expiry", { ...minimal, expiresInSec: 1.5 }],
    ["bad onTimeout", { ...minimal, onTimeout: "approve" }],
    ["bad priority", { ...minimal, priority: "critical" }],
    ["key with spaces", { ...minimal, idempotencyKey: "a b" }],
    ["long key", { ...minimal, idempotencyKey: "k".repeat(APPROVAL_LIMITS.maxIdempotencyKeyLength + 1) }],
    ["extra action key", { ...minimal, action: { tool: "x", run: true } }],
    ["empty tool", { ...minimal, action: { tool: "" } }],
    ["__proto__ inside args", { ...minimal, action: { args: JSON.parse('{"a":{"__proto__":{"x":1}}}') } }],
    ["constructor inside args", { ...minimal, action: { args: [{ constructor: 1 }] } }],
  ])("rejects %s", (_name, body) => {
    expect(CreateApprovalBodySchema.safeParse(body).success).toBe(false);
  });

  it(`accepts args up to ${APPROVAL_LIMITS.maxArgsBytes} bytes of JSON and rejects more`, () => {
    const fits = "x".repeat(APPROVAL_LIMITS.maxArgsBytes - 2); // the quotes make it exactly the limit
    expect(CreateApprovalBodySchema.safeParse({ ...minimal, action: { args: fits } }).success).toBe(true);
    const result = CreateApprovalBodySchema.safeParse({ ...minimal, action: { args: `${fits}x` } });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/limit is 32768/);
    // Multi-byte characters count as their UTF-8 bytes.
    const wide = "é".repeat(APPROVAL_LIMITS.maxArgsBytes / 2);
    expect(CreateApprovalBodySchema.safeParse({ ...minimal, action: { args: wide } }).success).toBe(false);
  });

  it("rejects args nested deeper than the JSON depth limit", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100; i++) deep = { a: deep };
    expect(CreateApprovalBodySchema.safeParse({ ...minimal, action: { args: deep } }).success).toBe(false);
  });
});

describe("ApprovalTypeSchema", () => {
  it.each(["deploy", "send_email", "mcp.tool_call", "a:b-c", "0", "t".repeat(64)])("accepts %j", (type) => {
    expect(ApprovalTypeSchema.safeParse(type).success).toBe(true);
  });
  it.each(["", "Deploy", "-x", "a b", "t".repeat(65), "constructor", "prototype", "a/b"])(
    "rejects %j",
    (type) => {
      expect(ApprovalTypeSchema.safeParse(type).success).toBe(false);
    },
  );
});

describe("query and bulk schemas", () => {
  it("ListApprovalsQuerySchema coerces limit, treats empty values as absent and bounds the limit", () => {
    expect(ListApprovalsQuerySchema.parse({})).toEqual({ limit: APPROVAL_LIMITS.defaultListLimit });
    expect(ListApprovalsQuerySchema.parse({ status: "", type: "", limit: "5", cursor: "" })).toEqual({
      limit: 5,
    });
    expect(ListApprovalsQuerySchema.safeParse({ limit: "0" }).success).toBe(false);
    expect(ListApprovalsQuerySchema.safeParse({ limit: "101" }).success).toBe(false);
    expect(ListApprovalsQuerySchema.safeParse({ status: "done" }).success).toBe(false);
  });

  it("WaitQuerySchema defaults to 30 s and clamps to 60 s", () => {
    expect(WaitQuerySchema.parse({})).toEqual({ timeoutMs: 30_000 });
    expect(WaitQuerySchema.parse({ timeoutMs: "250" })).toEqual({ timeoutMs: 250 });
    expect(WaitQuerySchema.parse({ timeoutMs: "600000" })).toEqual({ timeoutMs: 60_000 });
    expect(WaitQuerySchema.safeParse({ timeoutMs: "-1" }).success).toBe(false);
    expect(WaitQuerySchema.safeParse({ timeoutMs: "soon" }).success).toBe(false);
  });

  it("BulkDecisionBodySchema takes 1–100 ids and approve|reject", () => {
    const ids = Array.from({ length: 100 }, (_, i) => `apr_${i}`);
    expect(BulkDecisionBodySchema.safeParse({ ids, decision: "approve" }).success).toBe(true);
    expect(BulkDecisionBodySchema.safeParse({ ids: [...ids, "x"], decision: "approve" }).success).toBe(false);
    expect(BulkDecisionBodySchema.safeParse({ ids: [], decision: "reject" }).success).toBe(false);
    expect(BulkDecisionBodySchema.safeParse({ ids: ["a"], decision: "cancel" }).success).toBe(false);
    expect(BulkDecisionBodySchema.safeParse({ ids: ["__proto__"], decision: "approve" }).success).toBe(false);
  });
});

describe("ApprovalSchema", () => {
  it("accepts the contract's shape", () => {
    const approval = {
      id: "apr_x",
      workspaceId: "ws_1",
      type: "deploy",
      title: "Deploy",
      action: { tool: "deploy", args: { env: "prod" } },
      argsHash: "a".repeat(64),
      priority: "normal",
      route: "full",
      status: "pending",
      requestedBy: { kind: "agent", id: "agt_1" },
      createdAt: "2026-01-01T00:00:00.000Z",
      version: 1,
    };
    expect(ApprovalSchema.safeParse(approval).success).toBe(true);
    expect(ApprovalSchema.safeParse({ ...approval, status: "done" }).success).toBe(false);
    expect(ApprovalSchema.safeParse({ ...approval, version: 0 }).success).toBe(false);
  });
});
