import { z } from "zod";
import { ApprovalSchema } from "../approvals/approval.js";

/** How an upstream MCP server of the gateway is doing (`GET /api/mcp/servers`, the Health page). */
export const McpServerStatusValueSchema = z.enum([
  /** Starting or reconnecting. */
  "connecting",
  "connected",
  /** Not reachable; the gateway retries with backoff (see `error`). */
  "down",
  /** The config entry is broken (see `error`); nothing is started for it. */
  "invalid",
  /** `disabled: true` in its config entry. */
  "disabled",
]);
export type McpServerStatusValue = z.infer<typeof McpServerStatusValueSchema>;

export const McpBreakerStateSchema = z.enum(["closed", "open", "half-open", "isolated"]);
export type McpBreakerState = z.infer<typeof McpBreakerStateSchema>;

export const McpServerStatusSchema = z.object({
  name: z.string(),
  status: McpServerStatusValueSchema,
  transport: z.enum(["stdio", "http"]).optional(),
  /** How many of its tools the gateway offers (after allow/deny). */
  tools: z.number().int().min(0),
  /** Round trip of the last ping or connect. */
  latencyMs: z.number().min(0).optional(),
  /** The last failure, one line. */
  error: z.string().optional(),
  lastErrorAt: z.string().optional(),
  breaker: McpBreakerStateSchema,
  /** Process id of a stdio server's current process. */
  pid: z.number().int().optional(),
  connectedAt: z.string().optional(),
});
export type McpServerStatus = z.infer<typeof McpServerStatusSchema>;

export const McpServerListResponseSchema = z.object({ items: z.array(McpServerStatusSchema) });
export type McpServerListResponse = z.infer<typeof McpServerListResponseSchema>;

/** One upstream tool as the gateway offers it: named `<server>__<tool>`, with the upstream's schema. */
export const McpGatewayToolSchema = z.object({
  name: z.string(),
  server: z.string(),
  title: z.string().optional(),
  description: z.string().optional(),
  inputSchema: z.record(z.string(), z.unknown()),
  outputSchema: z.record(z.string(), z.unknown()).optional(),
  annotations: z.record(z.string(), z.unknown()).optional(),
  /** Calls wait for a human decision (destructive, unannotated, or listed in requireApproval). */
  requiresApproval: z.boolean(),
});
export type McpGatewayTool = z.infer<typeof McpGatewayToolSchema>;

export const McpToolListResponseSchema = z.object({ items: z.array(McpGatewayToolSchema) });
export type McpToolListResponse = z.infer<typeof McpToolListResponseSchema>;

export const MCP_CALL_LIMITS = {
  /** Longest a REST call waits for a human decision before answering 202 (the client calls again). */
  maxWaitMs: 120_000,
  defaultWaitMs: 30_000,
  maxIdempotencyKeyLength: 200,
} as const;

export const McpToolCallBodySchema = z.strictObject({
  arguments: z.record(z.string(), z.unknown()).default(() => ({})),
  /**
   * Makes retries of a gated call safe: the same caller, tool, arguments and key are one call, which runs
   * at most once (after approval) and whose result every retry gets back.
   */
  idempotencyKey: z.string().min(1).max(MCP_CALL_LIMITS.maxIdempotencyKeyLength).optional(),
  /** How long to wait for a human decision before answering 202 `{pending: true}`; 0 answers at once. */
  waitMs: z.number().int().min(0).max(MCP_CALL_LIMITS.maxWaitMs).optional(),
});
export type McpToolCallBody = z.input<typeof McpToolCallBodySchema>;

/** An MCP CallToolResult, kept open: upstream servers add fields of their own. */
export const McpCallToolResultSchema = z
  .object({
    content: z.array(z.record(z.string(), z.unknown())).default(() => []),
    structuredContent: z.record(z.string(), z.unknown()).optional(),
    isError: z.boolean().optional(),
  })
  .passthrough();
export type McpCallToolResult = z.infer<typeof McpCallToolResultSchema>;

/** 200: the call ran (or was refused); 202: it waits for a human decision (`approval` is pending). */
export const McpToolCallResponseSchema = z.union([
  z.object({
    pending: z.literal(false),
    result: McpCallToolResultSchema,
    approval: ApprovalSchema.optional(),
  }),
  z.object({ pending: z.literal(true), approval: ApprovalSchema }),
]);
export type McpToolCallResponse = z.infer<typeof McpToolCallResponseSchema>;

/** The approval type of a gated upstream tool call; policy never auto-approves it. */
export const MCP_TOOL_CALL_APPROVAL_TYPE = "mcp.tool_call";
