import {
  type ClientMessageOf,
  PatchMessageSchema,
  type ServerMessage,
  SubscribeMessageSchema,
  UnsubscribeMessageSchema,
} from "@agentboard/protocol";
import type { IdentityStore } from "../auth/identity-store.js";
import { principalRef } from "../auth/principal.js";
import type { EventBus } from "../events/event-bus.js";
import { knownError } from "../realtime/channel-errors.js";
import type { Connection } from "../realtime/connection.js";
import type { RealtimeChannel } from "../realtime/realtime-channel.js";
import type { RealtimeLog } from "../realtime/realtime-hub.js";
import { resolveDashboard } from "./dashboard-access.js";
import { DashboardPeer, type Subscription } from "./dashboard-peer.js";
import type { DashboardService } from "./dashboard-service.js";
import type { DashboardKey } from "./dashboard-store.js";
import { DashboardStreams, keyString } from "./dashboard-stream.js";
import type { DashboardChangeEvent } from "./dashboard-topics.js";

type DashboardMessage = ClientMessageOf<"subscribe" | "unsubscribe" | "patch">;

export interface DashboardChannelOptions {
  bus: EventBus;
  dashboards: DashboardService;
  identity: IdentityStore;
  log: RealtimeLog;
}

/**
 * Dashboards over the realtime socket: `subscribe` (catch-up, then live changes in rev order), `unsubscribe`,
 * and `patch` through the same service as REST, answered `ack`/`nack`. Committed changes come from the bus;
 * the writer hears first, then everyone else following the document (dashboard-stream.ts).
 */
export class DashboardChannel implements RealtimeChannel<DashboardMessage> {
  readonly name = "dashboards";
  readonly messages = {
    subscribe: SubscribeMessageSchema,
    unsubscribe: UnsubscribeMessageSchema,
    patch: PatchMessageSchema,
  };
  /** Connections that subscribed or wrote, by connection id (a change's origin names its writer's). */
  private readonly peers = new Map<string, DashboardPeer>();
  /** Per document: each following connection and its current subscription (the fan-out needs both). */
  private readonly audiences = new Map<string, Map<DashboardPeer, Subscription>>();
  private readonly streams: DashboardStreams;
  private readonly unsubscribeBus: Array<() => void>;

  constructor(private readonly options: DashboardChannelOptions) {
    this.streams = new DashboardStreams(options.dashboards, options.log);
    this.unsubscribeBus = [options.bus.subscribe("dashboard", (event) => this.onDashboardChange(event))];
    const offResync = options.bus.onResync?.(() => this.resync());
    if (offResync) this.unsubscribeBus.push(offResync);
  }

  get subscriptionCount(): number {
    let n = 0;
    for (const audience of this.audiences.values()) n += audience.size;
    return n;
  }

  /** Who follows a document on this node, each with the id it subscribed by (refresh-channel.ts). */
  followers(key: DashboardKey): Iterable<[DashboardPeer, Subscription]> {
    return this.audiences.get(keyString(key)) ?? [];
  }

  handle(connection: Connection, message: DashboardMessage): Promise<void> | void {
    switch (message.type) {
      case "subscribe":
        return this.subscribe(connection, message.id, message.dashboardId, message.sinceRev);
      case "unsubscribe":
        return this.unsubscribe(connection, message.id, message.dashboardId);
      case "patch":
        return this.patch(connection, message);
    }
  }

  /** A patch refused before parsing is still answered with `nack` (contract: a patch gets ack or nack). */
  refusal(frame: Readonly<Record<string, unknown>>, id: string | undefined, message: string) {
    if (frame.type !== "patch" || !id || typeof frame.dashboardId !== "string") return undefined;
    return {
      type: "nack",
      id,
      dashboardId: frame.dashboardId.slice(0, 128),
      error: "invalid",
      message,
    } satisfies ServerMessage;
  }

  onConnectionClosed(connection: Connection): void {
    const peer = this.peers.get(connection.id);
    if (!peer) return;
    this.peers.delete(connection.id);
    for (const [key] of peer.subscriptions) this.removeFollower(key, peer);
    peer.subscriptions.clear();
    peer.unacked.clear();
  }

  close(): void {
    for (const unsubscribe of this.unsubscribeBus) unsubscribe();
  }

  /**
   * Cluster mode: events may have been lost (the bus reconnected to Redis, or a commit's outcome was
   * unknown), so every caught-up subscription catches up again from its rev, as after a gap: the missed
   * log entries or a snapshot, with live events buffered meanwhile. The log is the truth; the bus is only
   * the fast path.
   */
  private resync(): void {
    for (const peer of this.peers.values()) {
      for (const subscription of peer.subscriptions.values()) {
        if (subscription.ready) this.streams.restart(peer, subscription, "resync"); // else catching up already
      }
    }
  }

  /** The connection's peer; one that closed gets a peer of its own that nothing keeps. */
  private peerOf(connection: Connection): DashboardPeer {
    let peer = this.peers.get(connection.id);
    if (!peer) {
      peer = new DashboardPeer(connection);
      if (!connection.closed) this.peers.set(connection.id, peer);
    }
    return peer;
  }

  private removeFollower(key: string, peer: DashboardPeer): void {
    const audience = this.audiences.get(key);
    audience?.delete(peer);
    if (audience?.size === 0) this.audiences.delete(key);
  }

  private async resolveKey(
    connection: Connection,
    requestId: string,
    dashboardId: string,
    access: "read" | "write",
    answerAs: "error" | "nack" = "error",
  ): Promise<DashboardKey | null> {
    try {
      return await resolveDashboard(this.options.identity, connection.principal, dashboardId, access);
    } catch (error) {
      const known = knownError(error);
      if (!known) throw error;
      // Over the socket, "no such user here" and "not yours" are both `forbidden`: a subscription never
      // reveals whether another workspace's dashboard exists.
      const code = known.code === "not_found" ? "forbidden" : known.code;
      if (answerAs === "nack")
        connection.send({ type: "nack", id: requestId, dashboardId, error: code, message: known.message });
      else connection.send({ type: "error", id: requestId, error: code, message: known.message });
      return null;
    }
  }

  private async subscribe(connection: Connection, requestId: string, dashboardId: string, sinceRev?: number) {
    const key = await this.resolveKey(connection, requestId, dashboardId, "read");
    if (!key || connection.closed) return;
    const peer = this.peerOf(connection);
    const k = keyString(key);
    // Register before reading, so nothing committed during the catch-up is missed (it is buffered). A
    // subscription made again replaces the old one (its catch-up sees that and stops).
    const subscription: Subscription = { key, alias: dashboardId, lastRev: -1, ready: false, buffer: [] };
    peer.subscriptions.set(k, subscription);
    const audience = this.audiences.get(k) ?? new Map<DashboardPeer, Subscription>();
    this.audiences.set(k, audience);
    audience.set(peer, subscription);
    await this.streams.catchUp(peer, subscription, sinceRev, requestId);
  }

  private unsubscribe(connection: Connection, requestId: string, dashboardId: string): void {
    const peer = this.peers.get(connection.id);
    for (const [k, subscription] of peer?.subscriptions ?? []) {
      if (subscription.alias !== dashboardId) continue;
      peer!.subscriptions.delete(k);
      this.removeFollower(k, peer!);
    }
    connection.send({ type: "unsubscribed", id: requestId, dashboardId });
  }

  private async patch(connection: Connection, message: ClientMessageOf<"patch">): Promise<void> {
    const { id, dashboardId } = message;
    const key = await this.resolveKey(connection, id, dashboardId, "write", "nack");
    if (!key) return;
    const peer = this.peerOf(connection);
    peer.unacked.set(id, dashboardId);
    try {
      const { rev, replayed } = await this.options.dashboards.patch(
        key,
        {
          baseRev: message.baseRev,
          ops: message.ops,
          clientId: message.clientId,
          mutationId: message.mutationId,
        },
        principalRef(connection.principal),
        { connectionId: connection.id, requestId: id },
      );
      // Both buses deliver local events synchronously, so the ack of a commit normally went out during it
      // (onDashboardChange: in stream position, or at once for a writer that does not follow the document).
      // What is left: a replay (nothing was committed), or a listener that failed → ack now. A subscription
      // still catching up acks when it flushes.
      const subscription = peer.subscriptions.get(keyString(key));
      if (replayed || !subscription || subscription.ready) peer.ack(id, { rev });
    } catch (error) {
      peer.unacked.delete(id);
      const known = knownError(error);
      if (!known) throw error;
      const details = (known.details ?? {}) as { rev?: number; paths?: string[] };
      connection.send({
        type: "nack",
        id,
        dashboardId,
        error: known.code,
        message: known.message,
        ...(known.code === "conflict" ? { rev: details.rev, paths: details.paths } : {}),
      });
    }
  }

  /**
   * The writing connection hears first: its ack goes out before the fan-out to everyone else, so a writer
   * waiting for acks is not held up by the size of the audience (with 1000 subscribers the fan-out takes
   * milliseconds). Every connection still gets its own stream in rev order.
   */
  private onDashboardChange(event: DashboardChangeEvent): void {
    const k = keyString(event.key);
    const { connectionId } = event.origin;
    const writer = connectionId === undefined ? undefined : this.peers.get(connectionId);
    if (writer) {
      const subscription = writer.subscriptions.get(k);
      if (subscription) this.streams.deliver(writer, subscription, event);
      // A writer that does not follow the document has no stream position to keep: its ack goes at once.
      else if (event.origin.requestId) writer.ack(event.origin.requestId, event);
    }
    const audience = this.audiences.get(k);
    if (!audience) return;
    for (const [peer, subscription] of audience) {
      if (peer !== writer) this.streams.deliver(peer, subscription, event);
    }
  }
}
