import { type Agent, AgentListResponseSchema, AgentSchema } from "@agentboard/protocol";
import { formatTable } from "../cli/text-table.js";

/** Where and as whom `agentboard agent …` talks to a running server (like `agentboard mcp list`). */
export interface AgentCommandTarget {
  url: string;
  token: string;
}

/** One request to /api/agents…; a non-2xx answer throws with the server's own message. */
async function call(
  target: AgentCommandTarget,
  method: "GET" | "POST" | "DELETE",
  path: string,
  body?: unknown,
): Promise<string> {
  const response = await fetch(new URL(path, target.url), {
    method,
    headers: {
      authorization: `Bearer ${target.token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    // Registering fetches the card server-side, bounded there; this only guards against a hung server.
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // not JSON: show it as it came
    }
    throw new Error(`${method} ${path} answered ${response.status}: ${message}`);
  }
  return text;
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
