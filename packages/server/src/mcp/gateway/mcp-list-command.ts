import { McpServerListResponseSchema, type McpServerStatus } from "@agentboard/protocol";
import { formatTable } from "../../cli/text-table.js";

/** `agentboard mcp list`: the upstream MCP servers of a running server, as a table (or JSON). */
export async function runMcpList(options: { url: string; token: string; json?: boolean }): Promise<string> {
  const response = await fetch(new URL("/api/mcp/servers", options.url), {
    headers: { authorization: `Bearer ${options.token}` },
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // not JSON: show it as it came
    }
    throw new Error(`GET /api/mcp/servers answered ${response.status}: ${message}`);
  }
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
