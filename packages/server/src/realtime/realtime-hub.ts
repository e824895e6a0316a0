import { randomUUID } from "node:crypto";
import {
  AgentboardError,
  assertSafeJson,
  CLOSE_CODES,
  type ClientMessage,
  ClientMessageSchema,
  LIMITS,
  type ServerMessage,
} from "@agentboard/protocol";
import type { IdentityStore } from "../auth/identity-store.js";
import { type Principal, principalRef } from "../auth/principal.js";
import { resolveDashboard } from "../dashboards/dashboard-access.js";
import type { DashboardService } from "../dashboards/dashboard-service.js";
import type { DashboardKey } from "../dashboards/dashboard-store.js";
import { unavailable } from "../errors/agentboard-errors.js";
import { isStoreUnavailable } from "../errors/store-errors.js";
import type {
  ApprovalBusEvent,
  DashboardChangeEvent,
  EventBus,
  RefreshRequestEvent,
} from "../events/event-bus.js";
import { Connection, MAX_BUFFERED_EVENTS, type Subscription } from "./connection.js";
import type { RealtimeSocket } from "./realtime-socket.js";

export interface RealtimeHubOptions {
  bus: EventBus;
  dashboards: DashboardService;
  identity: IdentityStore;
  heartbeatMs: number;
  maxBufferedBytes: number;
  messagesPerSecond: number;
  log: { warn(details: object, message: string): void; error(details: object, message: string): void };
}

const keyString = (key: DashboardKey) => `${key.workspaceId}\u0000${key.dashboardId}`;

/**
 * The heartbeat visits one slice of the connections per tick, HEARTBEAT_SLICES ticks per interval. Pinging
 * every connection at once writes one frame per socket in a single burst that holds up any fan-out behind
 * it: with 1000 subscribers such a beat took a median 5.6 ms (max 18 ms), one slice ~0.6 ms
 * (docs/benchmarks.md, sync fan-out).
 */
export const HEARTBEAT_SLICES = 10;

/**
 * Connections, subscriptions and fan-out. Transport-free: it takes any RealtimeSocket. Dashboard changes come
 * from the bus once committed; each subscriber gets them strictly in rev order with no gaps (a gap
 * triggers a catch-up from the patch log), and the writing connection gets its `ack` in the place of the echo.
 */
export class RealtimeHub {
  /** Open connections by id (a change's origin names the connection that wrote it). */
  private readonly connections = new Map<string, Connection>();
  /** Encoded patch frames per change (weak: gone with the change once fan-out and buffers let go of it). */
  private readonly encodedFrames = new WeakMap<DashboardChangeEvent, Map<string, Buffer>>();
  private readonly principalRefs = new WeakMap<Connection, string>();
  /** Per document: each following connection and its current subscription (the fan-out needs both). */
  private readonly subscribers = new Map<string, Map<Connection, Subscription>>();
  private readonly unsubscribeBus: Array<() => void>;
  private readonly heartbeat: NodeJS.Timeout;
  /** Connections by heartbeat slice; each slice is visited once per heartbeat interval. */
  private readonly heartbeatSlices: Array<Set<Connection>> = Array.from(
    { length: HEARTBEAT_SLICES },
    () => new Set<Connection>(),
  );
  private heartbeatTick = 0;

  constructor(private readonly options: RealtimeHubOptions) {
    this.unsubscribeBus = [
      options.bus.subscribe("dashboard", (event) => this.onDashboardChange(event)),
      options.bus.subscribe("approval", (event) => this.onApprovalEvent(event)),
      options.bus.subscribe("refresh", (event) => this.onRefreshRequest(event)),
    ];
    const offResync = options.bus.onResync?.(() => this.resyncAll());
    if (offResync) this.unsubscribeBus.push(offResync);
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs / HEARTBEAT_SLICES);
    this.heartbeat.unref();
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Connections following approval events (tests and the health page). */
  get approvalSubscriberCount(): number {
    let n = 0;
    for (const connection of this.connections.values()) if (connection.approvals) n++;
    return n;
  }

  get subscriptionCount(): number {
    let n = 0;
    for (const audience of this.subscribers.values()) n += audience.size;
    return n;
  }

  accept(socket: RealtimeSocket, principal: Principal): Connection {
    const connection = new Connection(randomUUID(), principal, socket, this.options);
    this.connections.set(connection.id, connection);
    // The smallest slice, so slices stay even as connections come and go.
    let slice = 0;
    for (let i = 1; i < HEARTBEAT_SLICES; i++) {
      if (this.heartbeatSlices[i]!.size < this.heartbeatSlices[slice]!.size) slice = i;
    }
    connection.heartbeatSlice = slice;
    this.heartbeatSlices[slice]!.add(connection);
    connection.onClosed = () => this.drop(connection);
    socket.onPong(() => {
      connection.alive = true;
    });
    socket.onClose(() => this.drop(connection));
    socket.onMessage((text) => {
      void this.onFrame(connection, text).catch((error: unknown) => {
        this.options.log.error({ err: error, connection: connection.id }, "realtime frame failed");
        connection.send({ type: "error", error: "internal", message: "internal error" });
      });
    });
    return connection;
  }

  /**
   * Cluster mode: events may have been lost (the bus reconnected to Redis, or a commit's outcome was
   * unknown), so every caught-up subscription catches up again from its rev, as after a gap: the missed
   * log entries or a snapshot, with live events buffered meanwhile. The log is the truth; the bus is only
   * the fast path.
   */
  resyncAll(): void {
    for (const connection of this.connections.values()) {
      for (const subscription of connection.subscriptions.values()) {
        if (!subscription.ready) continue; // already catching up
        subscription.ready = false;
        void this.catchUp(connection, subscription, subscription.lastRev).catch((error: unknown) => {
          this.options.log.warn({ err: error }, "resync failed; asking the client to resync");
          connection.close(CLOSE_CODES.resyncRequired, "resync");
        });
      }
    }
  }

  /** Closes every connection with "going away" (the SDK reconnects, possibly to another node). */
  close(): void {
    clearInterval(this.heartbeat);
    for (const unsubscribe of this.unsubscribeBus) unsubscribe();
    for (const connection of [...this.connections.values()]) {
      connection.close(CLOSE_CODES.goingAway, "server shutting down");
      this.drop(connection);
    }
  }

  private drop(connection: Connection): void {
    connection.closed = true;
    this.connections.delete(connection.id);
    this.heartbeatSlices[connection.heartbeatSlice]!.delete(connection);
    for (const [key] of connection.subscriptions) this.removeSubscriber(key, connection);
    connection.subscriptions.clear();
    connection.unacked.clear();
  }

  private removeSubscriber(key: string, connection: Connection): void {
    const audience = this.subscribers.get(key);
    audience?.delete(connection);
    if (audience?.size === 0) this.subscribers.delete(key);
  }

  /**
   * One tick of the heartbeat: in this tick's slice, dead peers (no pong since their last ping, one interval
   * ago) are terminated and live ones get a ping.
   */
  private beat(): void {
    const slice = this.heartbeatSlices[this.heartbeatTick]!;
    this.heartbeatTick = (this.heartbeatTick + 1) % HEARTBEAT_SLICES;
    // A dead peer is dropped from the slice while it is being walked: a Set visits the rest all the same.
    for (const connection of slice) {
      if (!connection.alive) {
        connection.close(CLOSE_CODES.heartbeatTimeout, "no pong");
        connection.socket.terminate();
        this.drop(connection);
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }

  private async onFrame(connection: Connection, text: string): Promise<void> {
    const admitted = connection.admit();
    if (admitted === "closed") return;
    if (admitted === "refused") {
      // No parsing of refused frames (that is the work the limit saves); a cheap look at the head of the
      // frame recovers the request id so a refused patch still gets an answer the client can match.
      const id = /"id"\s*:\s*"([^"\\]{1,64})"/.exec(text.slice(0, 256))?.[1];
      if (id || connection.firstRefusalInWindow) {
        connection.send({ type: "error", id, error: "rate_limited", message: "too many frames; slow down" });
      }
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      connection.send({ type: "error", error: "invalid", message: "invalid frame: not JSON" });
      return;
    }
    const raw = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
    const id = typeof raw.id === "string" ? raw.id.slice(0, 64) : undefined;
    // A refused patch is answered with `nack` (contract: a patch gets ack or nack); anything else with `error`.
    const refuse = (message: string) => {
      if (raw.type === "patch" && id && typeof raw.dashboardId === "string") {
        connection.send({
          type: "nack",
          id,
          dashboardId: raw.dashboardId.slice(0, 128),
          error: "invalid",
          message,
        });
      } else {
        connection.send({ type: "error", id, error: "invalid", message });
      }
    };
    try {
      assertSafeJson(value, LIMITS.maxJsonDepth);
    } catch (error) {
      refuse(`invalid frame: ${AgentboardError.isInstance(error) ? error.message : "refused"}`);
      return;
    }
    const parsed = ClientMessageSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? ` at ${issue.path.join(".")}` : "";
      connection.send({
        type: "error",
        id,
        error: "invalid",
        message: `invalid frame${where}: ${issue?.message}`,
      });
      return;
    }
    const message: ClientMessage = parsed.data;
    switch (message.type) {
      case "ping":
        connection.send({ type: "pong", id: message.id });
        return;
      case "subscribe":
        return this.subscribe(connection, message.id, message.dashboardId, message.sinceRev);
      case "unsubscribe":
        return this.unsubscribe(connection, message.id, message.dashboardId);
      case "patch":
        return this.patch(connection, message);
      case "subscribe_approvals":
        connection.approvals = true;
        connection.send({ type: "subscribed_approvals", id: message.id });
        return;
    }
  }

  private async resolveKey(
    connection: Connection,
    requestId: string,
    dashboardId: string,
    access: "read" | "write",
    answerAs: "error" | "nack" = "error",
  ) {
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
    const k = keyString(key);
    // Register before reading, so nothing committed during the catch-up is missed (it is buffered). A
    // subscription made again replaces the old one (its catch-up sees that and stops).
    const subscription: Subscription = { key, alias: dashboardId, lastRev: -1, ready: false, buffer: [] };
    connection.subscriptions.set(k, subscription);
    const audience = this.subscribers.get(k) ?? new Map<Connection, Subscription>();
    this.subscribers.set(k, audience);
    audience.set(connection, subscription);
    await this.catchUp(connection, subscription, sinceRev, requestId);
  }

  /**
   * Brings a subscription to the current rev: the missed log entries, or one snapshot, then whatever was
   * buffered meanwhile. Also used when a live event reveals a gap.
   */
  private async catchUp(
    connection: Connection,
    subscription: Subscription,
    sinceRev: number | undefined,
    requestId?: string,
  ) {
    const result = await this.options.dashboards.catchUp(subscription.key, sinceRev);
    if (connection.closed || connection.subscriptions.get(keyString(subscription.key)) !== subscription)
      return;
    const dashboardId = subscription.alias;
    if (result.kind === "snapshot") {
      const { rev, state } = result.document;
      subscription.lastRev = rev;
      if (requestId) connection.send({ type: "subscribed", id: requestId, dashboardId, rev });
      connection.send({ type: "snapshot", dashboardId, rev, state });
    } else {
      const from = sinceRev ?? subscription.lastRev;
      const lastRev = result.entries.at(-1)?.rev ?? from;
      if (requestId) connection.send({ type: "subscribed", id: requestId, dashboardId, rev: lastRev });
      subscription.lastRev = from;
      // A change also buffered live carries the connection that wrote it (the log does not): sending that
      // one gives the writer its ack instead of an echo when a gap catch-up covers its own write.
      const live = new Map(subscription.buffer.map((event) => [event.rev, event]));
      for (const entry of result.entries)
        this.sendChange(connection, subscription, live.get(entry.rev) ?? { key: subscription.key, ...entry });
    }
    const buffered = subscription.buffer;
    subscription.buffer = [];
    subscription.ready = true;
    for (const event of buffered) this.deliver(connection, subscription, event);
  }

  private unsubscribe(connection: Connection, requestId: string, dashboardId: string): void {
    for (const [k, subscription] of connection.subscriptions) {
      if (subscription.alias !== dashboardId) continue;
      connection.subscriptions.delete(k);
      this.removeSubscriber(k, connection);
    }
    connection.send({ type: "unsubscribed", id: requestId, dashboardId });
  }

  private async patch(
    connection: Connection,
    message: Extract<ClientMessage, { type: "patch" }>,
  ): Promise<void> {
    const { id, dashboardId } = message;
    const key = await this.resolveKey(connection, id, dashboardId, "write", "nack");
    if (!key) return;
    connection.unacked.set(id, dashboardId);
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
      const subscription = connection.subscriptions.get(keyString(key));
      if (replayed || !subscription || subscription.ready) {
        if (connection.unacked.delete(id)) connection.send({ type: "ack", id, dashboardId, rev });
      }
    } catch (error) {
      connection.unacked.delete(id);
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
    const writer = connectionId === undefined ? undefined : this.connections.get(connectionId);
    if (writer) {
      const subscription = writer.subscriptions.get(k);
      if (subscription) this.deliver(writer, subscription, event);
      else this.ackUnsubscribedWriter(writer, event);
    }
    const audience = this.subscribers.get(k);
    if (!audience) return;
    for (const [connection, subscription] of audience) {
      if (connection !== writer) this.deliver(connection, subscription, event);
    }
  }

  /** A writer that does not follow the document has no stream position to keep: it gets the ack at once. */
  private ackUnsubscribedWriter(connection: Connection, event: DashboardChangeEvent): void {
    const { requestId } = event.origin;
    const dashboardId = requestId === undefined ? undefined : connection.unacked.get(requestId);
    if (!requestId || dashboardId === undefined) return;
    connection.unacked.delete(requestId);
    connection.send(ackOf(event, requestId, dashboardId));
  }

  private deliver(connection: Connection, subscription: Subscription, event: DashboardChangeEvent): void {
    if (!subscription.ready) {
      subscription.buffer.push(event);
      if (subscription.buffer.length > MAX_BUFFERED_EVENTS) {
        connection.close(CLOSE_CODES.resyncRequired, "too far behind: reconnect and resync");
      }
      return;
    }
    if (event.rev <= subscription.lastRev) {
      // Already sent, inside a snapshot or the log: the writer still needs its ack, here in stream order.
      this.ackOwnWrite(connection, subscription, event);
      return;
    }
    if (event.rev > subscription.lastRev + 1) {
      // Missed revs (possible across nodes): fetch them from the log before going on.
      subscription.ready = false;
      subscription.buffer.push(event);
      void this.catchUp(connection, subscription, subscription.lastRev).catch((error: unknown) => {
        this.options.log.warn({ err: error }, "catch-up after a gap failed; asking the client to resync");
        connection.close(CLOSE_CODES.resyncRequired, "resync");
      });
      return;
    }
    this.sendChange(connection, subscription, event);
  }

  private ackOwnWrite(connection: Connection, subscription: Subscription, event: DashboardChangeEvent): void {
    const { connectionId, requestId } = event.origin;
    if (connectionId !== connection.id || !requestId || !connection.unacked.delete(requestId)) return;
    connection.send(ackOf(event, requestId, subscription.alias));
  }

  /** Sends one change that is exactly lastRev + 1; the writing connection gets its ack here instead. */
  private sendChange(connection: Connection, subscription: Subscription, event: DashboardChangeEvent): void {
    if (event.rev !== subscription.lastRev + 1) return;
    subscription.lastRev = event.rev;
    const { origin } = event;
    const dashboardId = subscription.alias;
    if (origin.connectionId === connection.id && origin.requestId) {
      if (connection.unacked.delete(origin.requestId)) {
        connection.send(ackOf(event, origin.requestId, dashboardId));
      }
      return;
    }
    connection.sendEncoded(
      this.encodedPatch(event, dashboardId, event.origin.principal === this.refOf(connection)),
    );
  }

  /** `<kind>:<id>` of a connection's principal, made once per connection (fan-out compares it per change). */
  private refOf(connection: Connection): string {
    let ref = this.principalRefs.get(connection);
    if (ref === undefined) {
      ref = principalRef(connection.principal);
      this.principalRefs.set(connection, ref);
    }
    return ref;
  }

  /**
   * The `patch` frame of a change, serialised and UTF-8 encoded once per dashboard alias and audience and
   * shared by every subscriber: with many subscribers, per-subscriber JSON.stringify and string encoding
   * dominated fan-out. The origin's (clientId, mutationId) goes only to the writer's own principal (its
   * other tabs settle an edit whose ack they missed by it); other principals get an empty origin, so nobody
   * learns a key they could replay as someone else's (issue 13).
   */
  private encodedPatch(event: DashboardChangeEvent, dashboardId: string, ownPrincipal: boolean): Buffer {
    let frames = this.encodedFrames.get(event);
    if (!frames) {
      frames = new Map();
      this.encodedFrames.set(event, frames);
    }
    const frameKey = ownPrincipal ? `own\u0000${dashboardId}` : dashboardId;
    let frame = frames.get(frameKey);
    if (!frame) {
      const { origin } = event;
      frame = Buffer.from(
        JSON.stringify({
          type: "patch",
          dashboardId,
          rev: event.rev,
          ops: event.ops,
          origin: ownPrincipal
            ? {
                ...(origin.clientId ? { clientId: origin.clientId } : {}),
                ...(origin.mutationId ? { mutationId: origin.mutationId } : {}),
              }
            : {},
        } satisfies ServerMessage),
      );
      frames.set(frameKey, frame);
    }
    return frame;
  }

  /** Users of the workspace see every approval event; an agent sees those of its own requests. */
  private onApprovalEvent(event: ApprovalBusEvent): void {
    for (const connection of this.connections.values()) {
      if (!connection.approvals || connection.principal.workspaceId !== event.workspaceId) continue;
      const { principal } = connection;
      if (principal.kind === "agent" && event.approval.requestedBy.id !== principal.id) continue;
      connection.send({ type: "approval", event: event.event, approval: event.approval });
    }
  }

  private onRefreshRequest(event: RefreshRequestEvent): void {
    const k = keyString(event.key);
    for (const [connection, subscription] of this.subscribers.get(k) ?? []) {
      if (principalRef(connection.principal) !== event.principal) continue;
      connection.send({ type: "refresh", dashboardId: subscription.alias, widgetId: event.widgetId });
    }
  }
}

/**
 * The writer's ack of a committed change. Ops the server added to the write (widget attribution) go with
 * it: the writer's replica applied only its own ops and needs these to hold the committed state.
 */
function ackOf(event: DashboardChangeEvent, requestId: string, dashboardId: string): ServerMessage {
  const { serverOpsFrom } = event;
  return {
    type: "ack",
    id: requestId,
    dashboardId,
    rev: event.rev,
    ...(serverOpsFrom === undefined ? {} : { serverOps: event.ops.slice(serverOpsFrom) }),
  };
}

/** Contract errors as they are; a store that cannot answer becomes `unavailable` (the SDK retries those). */
function knownError(error: unknown): AgentboardError | undefined {
  if (AgentboardError.isInstance(error)) return error;
  if (isStoreUnavailable(error)) return unavailable("a backing store is not available; retry shortly");
  return undefined;
}
