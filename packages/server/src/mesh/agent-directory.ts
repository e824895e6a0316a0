import type { Agent, AgentPatchBody, AgentStatus } from "@agentboard/protocol";
import type { Kysely, Selectable } from "kysely";
import { hasRole, type Principal } from "../auth/principal.js";
import { newId } from "../auth/secrets.js";
import { forbidden, invalid, notFound } from "../errors/agentboard-errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { AgentsTable, Database } from "../storage/schema.js";
import { agentTopic } from "./agent-topic.js";
import type { FetchedCard } from "./card-fetcher.js";

type AgentRow = Selectable<AgentsTable>;

/** One probe's outcome: the row as the sweep read it and the state to store. */
export interface ProbeResult {
  row: AgentRow;
  update: Pick<AgentRow, "status" | "latency_ms" | "checked_at" | "failures" | "successes" | "next_probe_at">;
}

/** A local agent counts as active this long after its last authenticated request. */
export const LOCAL_ACTIVE_MS = 5 * 60_000;

/** Which local agents hold a realtime connection now (this node's hub); none without a hub. */
export type ConnectedAgents = () => ReadonlySet<string>;

/**
 * The agent directory, the one naming registry: every agent principal of a workspace plus the remote A2A
 * agents registered by card URL, each with a card. Reads and writes are scoped by workspace; every change
 * goes out on the bus (`agent`), which the `subscribe_agents` channel follows on every node.
 */
export class AgentDirectory {
  /**
   * Origins of agents this server started itself on loopback (`agentboard start --demo`'s A2A agent): the
   * prober and bound widgets may reach them although private networks are not allowed. In memory only, so
   * the exception lives and dies with the process that started the agent.
   */
  readonly ownAgentOrigins = new Set<string>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly bus: EventBus,
    private readonly connected: ConnectedAgents = () => new Set(),
    private readonly now: () => Date = () => new Date(),
  ) {
    bus.topics.register(agentTopic);
  }

  async list(workspaceId: string): Promise<Agent[]> {
    const [principals, rows, activity] = await Promise.all([
      this.db
        .selectFrom("principals")
        .select(["id", "name", "created_at"])
        .where("workspace_id", "=", workspaceId)
        .where("kind", "=", "agent")
        .orderBy("created_at")
        .orderBy("id")
        .execute(),
      this.db
        .selectFrom("agents")
        .selectAll()
        .where("workspace_id", "=", workspaceId)
        .orderBy("created_at")
        .orderBy("id")
        .execute(),
      this.lastActivity(workspaceId),
    ]);
    const edits = new Map(rows.filter((row) => row.kind === "local").map((row) => [row.id, row]));
    const connected = this.connected();
    const local = principals.map((p) =>
      this.localAgent(p, edits.get(p.id), connected.has(p.id), activity.get(p.id)),
    );
    return [...local, ...rows.filter((row) => row.kind === "a2a").map(remoteAgent)];
  }

  async get(workspaceId: string, id: string): Promise<Agent> {
    const agent = (await this.list(workspaceId)).find((candidate) => candidate.id === id);
    if (!agent) throw notFound(`agent ${id} not found`);
    return agent;
  }

  /** Display names by principal id (`GET /api/members`): the card's where an admin set one. */
  async displayNames(workspaceId: string): Promise<Map<string, string>> {
    const rows = await this.db
      .selectFrom("agents")
      .select(["id", "display_name"])
      .where("workspace_id", "=", workspaceId)
      .where("kind", "=", "local")
      .where("display_name", "is not", null)
      .execute();
    return new Map(rows.map((row) => [row.id, row.display_name as string]));
  }

  async update(actor: Principal, id: string, patch: AgentPatchBody): Promise<Agent> {
    requireAdmin(actor);
    const current = await this.get(actor.workspaceId, id);
    const at = this.now().toISOString();
    const changes = {
      ...(patch.displayName !== undefined ? { display_name: patch.displayName } : {}),
      ...(patch.iconUrl !== undefined ? { icon_url: patch.iconUrl } : {}),
      ...(patch.role !== undefined ? { role: patch.role } : {}),
      ...(patch.aliases !== undefined ? { aliases: JSON.stringify(patch.aliases) } : {}),
      updated_at: at,
    };
    if (current.kind === "local") {
      // The local card row is created by the first edit; the principal stays the source of the name.
      await this.db
        .insertInto("agents")
        .values({
          id,
          workspace_id: actor.workspaceId,
          kind: "local",
          name: current.name,
          status: "unknown",
          failures: 0,
          successes: 0,
          created_at: at,
          ...changes,
        })
        .onConflict((oc) => oc.column("id").doUpdateSet(changes))
        .execute();
    } else {
      await this.db
        .updateTable("agents")
        .set(changes)
        .where("id", "=", id)
        .where("workspace_id", "=", actor.workspaceId)
        .execute();
    }
    const agent = await this.get(actor.workspaceId, id);
    this.bus.publish("agent", { workspaceId: actor.workspaceId, event: "updated", agent });
    return agent;
  }

  /** Adds a remote agent from its fetched, validated card; one card URL is registered once per workspace. */
  async register(actor: Principal, cardUrl: string, fetched: FetchedCard): Promise<Agent> {
    requireAdmin(actor);
    const existing = await this.db
      .selectFrom("agents")
      .select("id")
      .where("workspace_id", "=", actor.workspaceId)
      .where("card_url", "=", cardUrl)
      .executeTakeFirst();
    if (existing) throw invalid(`an agent is already registered from ${cardUrl}`, { agentId: existing.id });
    const at = this.now().toISOString();
    const id = newId("a2a");
    await this.db
      .insertInto("agents")
      .values({
        id,
        workspace_id: actor.workspaceId,
        kind: "a2a",
        name: fetched.card.name,
        display_name: null,
        description: fetched.card.description,
        icon_url: fetched.card.iconUrl ?? null,
        role: null,
        aliases: null,
        skills: JSON.stringify(fetched.card.skills.map((skill) => ({ id: skill.id, name: skill.name }))),
        card_url: cardUrl,
        card: JSON.stringify(fetched.card),
        // Just answered: reachable, but one answer is not yet "healthy" (the prober's second success is).
        status: "unknown",
        latency_ms: fetched.latencyMs,
        checked_at: at,
        failures: 0,
        successes: 1,
        next_probe_at: null,
        created_at: at,
        updated_at: at,
      })
      .execute();
    const agent = await this.get(actor.workspaceId, id);
    this.bus.publish("agent", { workspaceId: actor.workspaceId, event: "registered", agent });
    return agent;
  }

  /** Removes a remote agent; local agents are principals and go through `DELETE /api/members/:id`. */
  async remove(actor: Principal, id: string): Promise<void> {
    requireAdmin(actor);
    const agent = await this.get(actor.workspaceId, id);
    if (agent.kind === "local") {
      throw invalid("a local agent is a member of the workspace: remove it with DELETE /api/members/:id", {
        agentId: id,
      });
    }
    await this.db
      .deleteFrom("agents")
      .where("id", "=", id)
      .where("workspace_id", "=", actor.workspaceId)
      .execute();
    this.bus.publish("agent", { workspaceId: actor.workspaceId, event: "removed", agent });
  }

  /** Every remote agent of every workspace (the prober's sweep). */
  async remoteRows(): Promise<AgentRow[]> {
    return this.db.selectFrom("agents").selectAll().where("kind", "=", "a2a").orderBy("id").execute();
  }

  /**
   * Writes probe outcomes in one transaction (one commit, so one fsync for a batch instead of one per
   * agent); then publishes `status` for each agent whose status itself changed. Removed agents are skipped.
   */
  async recordProbes(results: readonly ProbeResult[]): Promise<void> {
    const changed = await this.db.transaction().execute(async (trx) => {
      const changed: { workspaceId: string; agent: Agent }[] = [];
      for (const { row, update } of results) {
        const result = await trx
          .updateTable("agents")
          .set(update)
          .where("id", "=", row.id)
          .where("workspace_id", "=", row.workspace_id)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) > 0 && update.status !== row.status)
          changed.push({ workspaceId: row.workspace_id, agent: remoteAgent({ ...row, ...update }) });
      }
      return changed;
    });
    for (const { workspaceId, agent } of changed)
      this.bus.publish("agent", { workspaceId, event: "status", agent });
  }

  /** Latest authenticated request per agent principal (tokens' last_used_at). */
  private async lastActivity(workspaceId: string): Promise<Map<string, string>> {
    const rows = await this.db
      .selectFrom("tokens")
      .select(({ fn }) => ["principal_id", fn.max("last_used_at").as("last")])
      .where("workspace_id", "=", workspaceId)
      .groupBy("principal_id")
      .execute();
    return new Map(rows.filter((row) => row.last).map((row) => [row.principal_id, row.last as string]));
  }

  /**
   * A local agent's health: `healthy` while it holds a realtime connection or made a request in the last
   * five minutes, `degraded` when it was seen before but is idle, `unknown` if it never was.
   */
  private localAgent(
    principal: { id: string; name: string },
    edit: AgentRow | undefined,
    connected: boolean,
    lastSeen: string | undefined,
  ): Agent {
    const now = this.now();
    let status: AgentStatus = "unknown";
    if (connected) status = "healthy";
    else if (lastSeen)
      status = now.getTime() - Date.parse(lastSeen) <= LOCAL_ACTIVE_MS ? "healthy" : "degraded";
    return {
      id: principal.id,
      kind: "local",
      name: principal.name,
      displayName: edit?.display_name ?? principal.name,
      ...(edit?.icon_url ? { iconUrl: edit.icon_url } : {}),
      ...(edit?.role ? { role: edit.role } : {}),
      ...(edit?.aliases ? { aliases: JSON.parse(edit.aliases) as string[] } : {}),
      skills: [],
      status,
      ...(connected ? { checkedAt: now.toISOString() } : lastSeen ? { checkedAt: lastSeen } : {}),
    };
  }
}

export function remoteAgent(row: AgentRow): Agent {
  return {
    id: row.id,
    kind: "a2a",
    name: row.name,
    displayName: row.display_name ?? row.name,
    ...(row.description ? { description: row.description } : {}),
    ...(row.icon_url ? { iconUrl: row.icon_url } : {}),
    ...(row.role ? { role: row.role } : {}),
    ...(row.aliases ? { aliases: JSON.parse(row.aliases) as string[] } : {}),
    skills: row.skills ? (JSON.parse(row.skills) as Agent["skills"]) : [],
    status: row.status,
    ...(row.latency_ms !== null ? { latencyMs: Math.round(row.latency_ms * 10) / 10 } : {}),
    ...(row.checked_at ? { checkedAt: row.checked_at } : {}),
    ...(row.card_url ? { cardUrl: row.card_url } : {}),
  };
}

function requireAdmin(actor: Principal): void {
  if (!hasRole(actor, "admin")) throw forbidden("only owners and admins edit the agent directory");
}
