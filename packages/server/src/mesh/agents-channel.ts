import { type ClientMessageOf, SubscribeAgentsMessageSchema } from "@agentboard/protocol";
import type { EventBus } from "../events/event-bus.js";
import type { Connection } from "../realtime/connection.js";
import type { RealtimeChannel } from "../realtime/realtime-channel.js";
import type { AgentDirectory } from "./agent-directory.js";

/**
 * The agent directory over the realtime socket (the Health page): `subscribe_agents` is answered
 * `subscribed_agents` with the workspace's agents as they are now, then an `agent` frame at each change
 * from the bus (health, card edits, registrations, removals), from whichever node made it. Any principal
 * of the workspace may follow it, as any may read `GET /api/agents`; nothing crosses workspaces.
 */
export class AgentsChannel implements RealtimeChannel<ClientMessageOf<"subscribe_agents">> {
  readonly name = "agents";
  readonly messages = { subscribe_agents: SubscribeAgentsMessageSchema };
  private readonly subscribers = new Map<string, Set<Connection>>();
  private readonly unsubscribeBus: () => void;

  constructor(
    private readonly directory: Pick<AgentDirectory, "list">,
    bus: EventBus,
  ) {
    this.unsubscribeBus = bus.subscribe("agent", (event) => {
      const connections = this.subscribers.get(event.workspaceId);
      if (!connections) return;
      const frame = JSON.stringify({ type: "agent", event: event.event, agent: event.agent });
      for (const connection of connections) connection.sendEncoded(frame);
    });
  }

  get subscriptionCount(): number {
    let count = 0;
    for (const set of this.subscribers.values()) count += set.size;
    return count;
  }

  async handle(connection: Connection, message: ClientMessageOf<"subscribe_agents">): Promise<void> {
    const workspaceId = connection.principal.workspaceId;
    // Subscribed before the read: a change during the read arrives after the snapshot, never lost.
    let set = this.subscribers.get(workspaceId);
    if (!set) {
      set = new Set();
      this.subscribers.set(workspaceId, set);
    }
    set.add(connection);
    const agents = await this.directory.list(workspaceId);
    if (connection.closed) return this.onConnectionClosed(connection);
    connection.send({ type: "subscribed_agents", id: message.id, agents });
  }

  onConnectionClosed(connection: Connection): void {
    const set = this.subscribers.get(connection.principal.workspaceId);
    if (!set) return;
    set.delete(connection);
    if (set.size === 0) this.subscribers.delete(connection.principal.workspaceId);
  }

  close(): void {
    this.unsubscribeBus();
    this.subscribers.clear();
  }
}
