import { type ClientMessageOf, SubscribeApprovalsMessageSchema } from "@agentboard/protocol";
import type { EventBus } from "../events/event-bus.js";
import type { Connection } from "../realtime/connection.js";
import type { RealtimeChannel } from "../realtime/realtime-channel.js";
import type { ApprovalBusEvent } from "./approval-topic.js";

/**
 * Approval events over the realtime socket: after `subscribe_approvals`, a connection gets every `approval`
 * event its principal may see (the SDK's `wait()` and the web app's inbox listen here).
 */
export class ApprovalsChannel implements RealtimeChannel<ClientMessageOf<"subscribe_approvals">> {
  readonly name = "approvals";
  readonly messages = { subscribe_approvals: SubscribeApprovalsMessageSchema };
  private readonly subscribers = new Set<Connection>();
  private readonly unsubscribeBus: () => void;

  constructor(bus: EventBus) {
    this.unsubscribeBus = bus.subscribe("approval", (event) => this.onApprovalEvent(event));
  }

  get subscriptionCount(): number {
    return this.subscribers.size;
  }

  handle(connection: Connection, message: ClientMessageOf<"subscribe_approvals">): void {
    if (!connection.closed) this.subscribers.add(connection);
    connection.send({ type: "subscribed_approvals", id: message.id });
  }

  onConnectionClosed(connection: Connection): void {
    this.subscribers.delete(connection);
  }

  close(): void {
    this.unsubscribeBus();
  }

  /** Users of the workspace see every approval event; an agent sees those of its own requests. */
  private onApprovalEvent(event: ApprovalBusEvent): void {
    for (const connection of this.subscribers) {
      const { principal } = connection;
      if (principal.workspaceId !== event.workspaceId) continue;
      if (principal.kind === "agent" && event.approval.requestedBy.id !== principal.id) continue;
      connection.send({ type: "approval", event: event.event, approval: event.approval });
    }
  }
}
