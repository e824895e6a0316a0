import { type Agent, AgentListResponseSchema, AgentSchema } from "@agentboard/protocol";
import { callServer, type ServerTarget } from "../cli/server-api.js";
import { formatTable } from "../cli/text-table.js";

/** Where and as whom `agentboard agent …` talks to a running server (like `agentboard mcp list`). */
export type AgentCommandTarget = ServerTarget;

/** One request to /api/agents…; registering fetches the card server-side, bounded there. */
function call(target: AgentCommandTarget, method: "GET" | "POST" | "DELETE", path: string, body?: unknown) {
  return callServer(target, method, path, { body, timeoutMs: 30_000 });
}

/** `agentboard agent list`: the workspace's directory as a table (or JSON). */
export async function runAgentList(target: AgentCommandTarget & { json?: boolean }): Promise<string> {
  const { items } = AgentListResponseSchema.parse(JSON.parse(await call(target, "GET", "/api/agents")));
  if (target.json) return `${JSON.stringify(items, null, 2)}\n`;
  if (items.length === 0) return "no agents in the directory (agentboard agent add <cardUrl>)\n";
  return formatAgents(items);
}

/** `agentboard agent add <cardUrl>`: registers a remote A2A agent; prints its id and name. */
export async function runAgentAdd(
  target: AgentCommandTarget & { cardUrl: string; json?: boolean },
): Promise<string> {
  const agent = AgentSchema.parse(
    JSON.parse(await call(target, "POST", "/api/agents", { cardUrl: target.cardUrl })),
  );
  if (target.json) return `${JSON.stringify(agent, null, 2)}\n`;
  return `registered ${agent.id} ${agent.displayName} (${agent.skills.length} skill(s))\n`;
}

/** `agentboard agent rm <id>`: removes a remote agent from the directory. */
export async function runAgentRemove(target: AgentCommandTarget & { id: string }): Promise<string> {
  await call(target, "DELETE", `/api/agents/${encodeURIComponent(target.id)}`);
  return `removed ${target.id}\n`;
}

export function formatAgents(items: readonly Agent[]): string {
  return formatTable(
    ["ID", "NAME", "KIND", "STATUS", "LATENCY", "CHECKED", "CARD"],
    items.map((a) => [
      a.id,
      a.displayName,
      a.kind,
      a.status,
      a.latencyMs === undefined ? "-" : `${Math.round(a.latencyMs)} ms`,
      a.checkedAt ?? "-",
      a.cardUrl ?? "",
    ]),
  );
}
