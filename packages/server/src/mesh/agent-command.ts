import { type Agent, AgentListResponseSchema, type AgentPatchBody, AgentSchema } from "@agentboard/protocol";
import { callServer, type ServerTarget } from "../cli/server-api.js";
import { formatTable } from "../cli/text-table.js";

/** Where and as whom `agentboard agent …` talks to a running server (like `agentboard mcp list`). */
export type AgentCommandTarget = ServerTarget;

/** One request to /api/agents…; registering fetches the card server-side, bounded there. */
function call(
  target: AgentCommandTarget,
  method: "GET" | "POST" | "PATCH" | "DELETE",
  path: string,
  body?: unknown,
) {
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

/** What `agentboard agent edit` was given; an empty value clears the field (back to the card's own). */
export interface AgentEdits {
  displayName?: string;
  role?: string;
  iconUrl?: string;
  /** Comma-separated. */
  aliases?: string;
}

/** The PATCH body for `edits`; undefined when nothing was given. */
export function agentPatchOf(edits: AgentEdits): AgentPatchBody | undefined {
  const clearable = (value: string | undefined) => (value === undefined ? undefined : value.trim() || null);
  const body = {
    displayName: clearable(edits.displayName),
    role: clearable(edits.role),
    iconUrl: clearable(edits.iconUrl),
    aliases: edits.aliases
      ?.split(",")
      .map((alias) => alias.trim())
      .filter(Boolean),
  };
  const given = Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
  // Not checked here: the server validates the body and answers what is wrong (exit 1 with its message).
  return Object.keys(given).length === 0 ? undefined : (given as AgentPatchBody);
}

/**
 * `agentboard agent edit <id> --display-name …`: edits an agent's card (owners and admins); open pages show
 * the new name at once (the server tells them over `subscribe_agents`).
 */
export async function runAgentEdit(
  target: AgentCommandTarget & { id: string; patch: AgentPatchBody; json?: boolean },
): Promise<string> {
  const agent = AgentSchema.parse(
    JSON.parse(await call(target, "PATCH", `/api/agents/${encodeURIComponent(target.id)}`, target.patch)),
  );
  if (target.json) return `${JSON.stringify(agent, null, 2)}\n`;
  return `updated ${agent.id} ${agent.displayName}\n`;
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
