import type { Agent, AgentPatchBody } from "@agentboard/protocol";
import type { RequestFunction, RequestOptions } from "../request.js";
import type { AgentsWatch, AgentsWatchSignal } from "./agents-watch.js";

/** `board.agents`: the workspace's agent directory (local agents and remote A2A agents). */
export interface AgentsClient {
  list(options?: RequestOptions): Promise<Agent[]>;
  /** Registers a remote A2A agent by its card URL (owners and admins). */
  register(cardUrl: string, options?: RequestOptions): Promise<Agent>;
  /** Edits a card (display name, icon, role, aliases); `null` clears a field. */
  update(id: string, patch: AgentPatchBody, options?: RequestOptions): Promise<Agent>;
  remove(id: string, options?: RequestOptions): Promise<void>;
  /**
   * Follows the directory live on the board client's realtime connection: the listener gets every agent
   * on (re)subscribing and again at each change. `close()` the watch when done.
   */
  watch(listener: (signal: AgentsWatchSignal) => void): AgentsWatch;
}

export function createAgentsClient(
  request: RequestFunction,
  openWatch: (listener: (signal: AgentsWatchSignal) => void) => AgentsWatch,
): AgentsClient {
  const path = (id: string) => `/api/agents/${encodeURIComponent(id)}`;
  return {
    watch: openWatch,
    list: async (o) => (await request<{ items: Agent[] }>("GET", "/api/agents", undefined, o)).items,
    register: (cardUrl, o) => request<Agent>("POST", "/api/agents", { cardUrl }, o),
    update: (id, patch, o) => request<Agent>("PATCH", path(id), patch, o),
    remove: async (id, o) => {
      await request("DELETE", path(id), undefined, o);
    },
  };
}
