import {
  MCP_CALL_LIMITS,
  type McpCallToolResult,
  type McpGatewayTool,
  type McpServerStatus,
  type McpToolCallResponse,
} from "@agentboard/protocol";
import { WaitTimeoutError } from "../approvals/approval-errors.js";
import type { RequestFunction, RequestOptions } from "../request.js";
import type { McpWatch, McpWatchSignal } from "./mcp-watch.js";

export interface McpCallOptions extends RequestOptions {
  /**
   * Names this call: retries with the same key (after a timeout, a crash, on another node) are the same
   * call, which runs at most once. Generated per `call()` when not given, so the SDK's own re-asks while it
   * waits for a human are never a second call.
   */
  idempotencyKey?: string;
  /** How long to wait in all for a human decision on a gated tool; default 15 minutes. */
  approvalTimeoutMs?: number;
}

/** `board.mcp`: the gateway's upstream MCP servers and their tools (`<server>__<tool>`). */
export interface McpClient {
  servers(options?: RequestOptions): Promise<McpServerStatus[]>;
  tools(options?: RequestOptions): Promise<McpGatewayTool[]>;
  /**
   * Calls a tool and resolves with its result. A gated tool (destructive, or listed in requireApproval)
   * first waits for a human; a rejected, cancelled or expired approval resolves with an `isError` result
   * that says so. Rejects with WaitTimeoutError if no one decided within `approvalTimeoutMs` (the approval
   * stays pending: call again with the same `idempotencyKey` to keep waiting).
   */
  call(name: string, args?: Record<string, unknown>, options?: McpCallOptions): Promise<McpCallToolResult>;
  /**
   * Follows the servers live on the board client's realtime connection: the listener gets every server
   * on (re)subscribing and again at each change. `close()` the watch when done.
   */
  watch(listener: (signal: McpWatchSignal) => void): McpWatch;
}

const DEFAULT_APPROVAL_TIMEOUT_MS = 15 * 60_000;
/** One request waits this long server-side; the request timeout leaves room for the answer to arrive. */
const SLICE_MS = 25_000;

export function createMcpClient(
  request: RequestFunction,
  openWatch: (listener: (signal: McpWatchSignal) => void) => McpWatch,
): McpClient {
  return {
    watch: openWatch,
    servers: async (o) =>
      (await request<{ items: McpServerStatus[] }>("GET", "/api/mcp/servers", undefined, o)).items,
    tools: async (o) =>
      (await request<{ items: McpGatewayTool[] }>("GET", "/api/mcp/tools", undefined, o)).items,
    async call(name, args = {}, options = {}) {
      const {
        idempotencyKey = globalThis.crypto.randomUUID(),
        approvalTimeoutMs = DEFAULT_APPROVAL_TIMEOUT_MS,
        ...rest
      } = options;
      const deadline = Date.now() + approvalTimeoutMs;
      for (;;) {
        const waitMs = Math.max(0, Math.min(SLICE_MS, MCP_CALL_LIMITS.maxWaitMs, deadline - Date.now()));
        const answer = await request<McpToolCallResponse>(
          "POST",
          `/api/mcp/tools/${encodeURIComponent(name)}/call`,
          { arguments: args, idempotencyKey, waitMs },
          { ...rest, timeoutMs: Math.max(rest.timeoutMs ?? 0, waitMs + 30_000) },
        );
        if (!answer.pending) return answer.result;
        if (Date.now() >= deadline) throw new WaitTimeoutError(answer.approval, approvalTimeoutMs);
      }
    },
  };
}
