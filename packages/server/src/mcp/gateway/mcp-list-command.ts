import { McpServerListResponseSchema, type McpServerStatus } from "@agentboard/protocol";
import { callServer, type ServerTarget } from "../../cli/server-api.js";
import { formatTable } from "../../cli/text-table.js";

/** `agentboard mcp list`: the upstream MCP servers of a running server, as a table (or JSON). */
export async function runMcpList(options: ServerTarget & { json?: boolean }): Promise<string> {
  const text = await callServer(options, "GET", "/api/mcp/servers", { timeoutMs: 10_000 });
  const { items } = McpServerListResponseSchema.parse(JSON.parse(text));
  if (options.json) return `${JSON.stringify(items, null, 2)}\n`;
  if (items.length === 0) return "no MCP servers configured (mcpServers in the config file)\n";
  return formatServers(items);
}

export function formatServers(items: readonly McpServerStatus[]): string {
  return formatTable(
    ["NAME", "STATUS", "TOOLS", "LATENCY", "BREAKER", "ERROR"],
    items.map((s) => [
      s.name,
      s.status,
      String(s.tools),
      s.latencyMs === undefined ? "-" : `${Math.round(s.latencyMs)} ms`,
      s.breaker,
      s.status === "connected" ? "" : (s.error ?? ""),
    ]),
  );
}
