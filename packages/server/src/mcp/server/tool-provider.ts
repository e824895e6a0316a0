import type { CallToolResult, Tool } from "@modelcontextprotocol/server";
import type { Principal } from "../../auth/principal.js";

/**
 * A source of extra tools on agentboard's own `/mcp` endpoint, next to its built-in dashboard and approval
 * tools. The gateway (mcp/gateway/) implements it to list upstream servers' tools as `<server>__<tool>`.
 *
 * - `list` returns the tools this principal may see, already with their final (prefixed) names; names that
 *   clash with a built-in tool are ignored by `/mcp`.
 * - `call` runs one of those tools for the principal. A tool failure (upstream error, rejected approval,
 *   timeout…) is a result with `isError: true`; throwing is for protocol-level failures only (the name is
 *   not one of `list`'s, say) and becomes a JSON-RPC error. `signal` aborts when the MCP client cancels the
 *   request or its session ends.
 * - `onToolsChanged` (optional): the provider's list changed (tools appeared or went away). `/mcp` then
 *   advertises `tools.listChanged` and sends `notifications/tools/list_changed` to every open session and
 *   listen stream. Returns the unsubscribe function.
 */
export interface McpToolProvider {
  list(principal: Principal): Promise<Tool[]>;
  call(
    principal: Principal,
    name: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<CallToolResult>;
  onToolsChanged?(listener: () => void): () => void;
}

export type { CallToolResult, Tool };
