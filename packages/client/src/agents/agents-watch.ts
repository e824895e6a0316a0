import type { Agent } from "@agentboard/protocol";
import type { ListFeed, ListWatchOutage } from "../realtime/list-watch.js";

/** Every agent of the workspace as it is now: on (re)subscribing and after each change. */
type AgentsList = { kind: "agents"; agents: Agent[] };
export type AgentsWatchSignal = AgentsList | ListWatchOutage;

/** What `board.agents.watch()` returns. */
export interface AgentsWatch {
  close(): Promise<void>;
}

/** The agent directory: `subscribe_agents`, then `agent` frames that register, update or remove one. */
export const agentsFeed: ListFeed<Agent, AgentsList> = {
  changes: "agent",
  tag: "g",
  subscribeFrame: (id) => ({ type: "subscribe_agents", id }),
  listIn: (message, id) =>
    message.type === "subscribed_agents" && message.id === id ? message.agents : undefined,
  changeIn: (message) =>
    message.type === "agent"
      ? { key: message.agent.id, item: message.event === "removed" ? undefined : message.agent }
      : undefined,
  keyOf: (agent) => agent.id,
  listSignal: (agents) => ({ kind: "agents", agents }),
};
