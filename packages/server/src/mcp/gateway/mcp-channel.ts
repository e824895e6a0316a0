import { type ClientMessageOf, SubscribeMcpMessageSchema } from "@agentboard/protocol";
import type { Connection } from "../../realtime/connection.js";
import type { RealtimeChannel } from "../../realtime/realtime-channel.js";
import type { McpGateway } from "./gateway.js";

/**
 * The gateway's upstream servers over the realtime socket (the Health page): `subscribe_mcp` is answered
 * `subscribed_mcp` with every server as it is now, then an `mcp_server` frame at each change the gateway
 * reports (connected, lost, breaker, tools, latency, last error). The snapshot comes in the answer, so a
 * change between a REST read and the subscription cannot be missed. The servers are this node's (each node
 * keeps its own connections) and the same for every workspace, so any authenticated connection may follow
 * them, as any principal may read `GET /api/mcp/servers`; the hub closes the sockets of revoked tokens.
 */
export class McpChannel implements RealtimeChannel<ClientMessageOf<"subscribe_mcp">> {
  readonly name = "mcp";
  readonly messages = { subscribe_mcp: SubscribeMcpMessageSchema };
  private readonly subscribers = new Set<Connection>();
  private readonly unsubscribeGateway: () => void;

  constructor(private readonly gateway: Pick<McpGateway, "onChange" | "servers">) {
    this.unsubscribeGateway = gateway.onChange((name) => this.onServerChange(name));
  }

  get subscriptionCount(): number {
    return this.subscribers.size;
  }

  handle(connection: Connection, message: ClientMessageOf<"subscribe_mcp">): void {
    if (connection.closed) return;
    this.subscribers.add(connection);
    connection.send({ type: "subscribed_mcp", id: message.id, servers: this.gateway.servers() });
  }

  onConnectionClosed(connection: Connection): void {
    this.subscribers.delete(connection);
  }

  close(): void {
    this.unsubscribeGateway();
    this.subscribers.clear();
  }

  private onServerChange(name: string): void {
    if (this.subscribers.size === 0) return;
    const server = this.gateway.servers().find((candidate) => candidate.name === name);
    if (!server) return;
    // Encoded once for all subscribers.
    const frame = JSON.stringify({ type: "mcp_server", server });
    for (const connection of this.subscribers) connection.sendEncoded(frame);
  }
}
