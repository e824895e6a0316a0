import type { AgentboardError, ClientMessage, ServerMessage } from "@agentboard/protocol";
import { RealtimeConnection, type RealtimeConnectionOptions } from "./realtime-connection.js";
import { SendPacer } from "./send-pacer.js";

/** Frames sent to every subscriber that asked for their type (they answer no request, name no dashboard). */
export type BroadcastType = "approval" | "mcp_server" | "agent";

/** One user of the realtime connection: a live replica, or the approval events behind waits and feeds. */
export interface RealtimeSubscriber {
  /** The dashboard it follows: frames of that dashboard go to it. */
  readonly dashboardId?: string;
  /** The broadcast frames it takes: approval events, the gateway's upstream servers, the agent directory. */
  readonly broadcasts?: readonly BroadcastType[];
  /** A socket opened, or the subscriber joined one that is open: (re)subscribe now. */
  onOpen(): void;
  /** Answers to its own request ids, frames of its dashboard or approval events, and errors without an id. */
  onMessage(message: ServerMessage): void;
  /** The socket closed; a reconnect with backoff is under way. */
  onClose(): void;
  /** The server refused the credentials for good; the connection is gone. */
  onFatal(error: AgentboardError): void;
  /** Something the reconnect loop handles itself failed (ticket request, bad frame). */
  onError(error: Error): void;
}

/** What a subscriber holds while attached. */
export interface RealtimeLink {
  /**
   * Prefix of every request id this subscriber sends (`r3.`): answers are routed back by it, so ids of
   * different subscribers never collide on the shared socket.
   */
  readonly tag: string;
  readonly isOpen: boolean;
  /** Sends now or not at all (false when no socket is open). */
  send(message: ClientMessage): boolean;
  /** The connection's budget for patches: the server limits frames per connection, not per replica. */
  readonly pacer: SendPacer;
  /** A subscription is healthy (subscribed and caught up): the next drop starts the backoff afresh. */
  markHealthy(): void;
  /** Drops the socket and connects again: every subscriber resubscribes (used to resync after a gap). */
  reconnect(reason: string): void;
  /** Connects now instead of after the backoff (see RealtimeConnection.reconnectNow). */
  reconnectNow(): void;
  /**
   * Leaves the connection; the last one out closes it. Resolves once that socket is closed. With a patch
   * still unanswered, say so: the server would answer it to a later replica of the same dashboard on this
   * socket with an ack in the place of the patch that replica needs, so none may join until it reconnects.
   */
  detach(options?: { writeInFlight?: boolean }): Promise<void>;
}

/** How the board client connects: the connection's options, and the patch budget its subscribers share. */
export interface RealtimeSettings extends Omit<RealtimeConnectionOptions, "handlers"> {
  maxPatchesPerSecond: number;
}

interface Member {
  readonly subscriber: RealtimeSubscriber;
  /** The socket generation this subscriber last subscribed on (0: none yet). */
  openedOn: number;
}

/**
 * Whether two dashboard ids may name one document. The server keeps one subscription per document and
 * connection, so two replicas of one document on a socket would share it: the second subscribe replaces
 * the first, and a write of one replica is acked, never echoed, so the other would never see it. `me` is
 * the caller's own `user:<id>`, which the client cannot tell from another user's.
 */
export function mayShareDocument(a: string, b: string): boolean {
  return a === b || (a === "me" && b.startsWith("user:")) || (b === "me" && a.startsWith("user:"));
}

/**
 * One realtime connection and the subscribers it carries: it opens with the first subscriber, closes
 * with the last, fans the connection's events out to every subscriber, and routes frames — answers by
 * the tag of their request id, dashboard frames by dashboard id, approval events to approval subscribers.
 */
export class RealtimeLane {
  private connection: RealtimeConnection | undefined;
  private readonly members = new Map<string, Member>();
  private readonly byDashboard = new Map<string, Member>();
  /** Dashboards left with a write in flight on the current socket (see RealtimeLink.detach). */
  private readonly unanswered = new Set<string>();
  /** Counts sockets that opened, so a subscriber joining mid-way subscribes exactly once per socket. */
  private generation = 0;
  private retired = false;
  private readonly closings = new Set<Promise<void>>();
  readonly pacer: SendPacer;

  constructor(
    private readonly settings: RealtimeSettings,
    /** The lane takes no subscribers any more: its last one left, or the server refused the credentials. */
    private readonly onDone: (lane: RealtimeLane) => void,
  ) {
    this.pacer = new SendPacer(settings.maxPatchesPerSecond, settings.maxPatchesPerSecond);
  }

  /** Whether `subscriber` may join: the lane is usable and carries no replica of a possibly same document. */
  canHost(subscriber: RealtimeSubscriber): boolean {
    if (this.retired) return false;
    const { dashboardId } = subscriber;
    if (dashboardId === undefined) return true;
    for (const id of [...this.byDashboard.keys(), ...this.unanswered]) {
      if (mayShareDocument(id, dashboardId)) return false;
    }
    return true;
  }

  attach(subscriber: RealtimeSubscriber, tag: string): RealtimeLink {
    const member: Member = { subscriber, openedOn: 0 };
    this.members.set(tag, member);
    if (subscriber.dashboardId !== undefined) this.byDashboard.set(subscriber.dashboardId, member);
    if (!this.connection) this.open();
    else if (this.connection.isOpen) {
      // Joined an open socket: subscribe on it, after the caller holds its link.
      queueMicrotask(() => this.greet(tag, member));
    }
    let attached = true;
    const lane = this;
    return {
      tag,
      pacer: this.pacer,
      get isOpen() {
        return attached && lane.connection?.isOpen === true;
      },
      send: (message) => attached && this.connection?.send(message) === true,
      markHealthy: () => {
        if (attached) this.connection?.markHealthy();
      },
      reconnect: (reason) => {
        if (attached) this.connection?.reconnect(reason);
      },
      reconnectNow: () => {
        if (attached) this.connection?.reconnectNow();
      },
      detach: (options) => {
        if (!attached) return Promise.resolve();
        attached = false;
        const { dashboardId } = subscriber;
        if (options?.writeInFlight && dashboardId !== undefined) this.unanswered.add(dashboardId);
        return this.detach(tag, member);
      },
    };
  }

  /** Closes the connection whatever its subscribers (board client shutdown). */
  async close(): Promise<void> {
    this.members.clear();
    this.byDashboard.clear();
    this.shutdown();
    await Promise.all(this.closings);
  }

  private detach(tag: string, member: Member): Promise<void> {
    if (this.members.get(tag) === member) this.members.delete(tag);
    const { dashboardId } = member.subscriber;
    if (dashboardId !== undefined && this.byDashboard.get(dashboardId) === member) {
      this.byDashboard.delete(dashboardId);
    }
    if (this.members.size === 0) {
      this.shutdown();
      this.onDone(this);
    }
    return Promise.all(this.closings).then(() => {});
  }

  private shutdown(): void {
    const connection = this.connection;
    this.connection = undefined;
    if (!connection) return;
    const closing = connection.close();
    this.closings.add(closing);
    void closing.finally(() => this.closings.delete(closing));
  }

  private greet(tag: string, member: Member): void {
    if (this.members.get(tag) !== member || !this.connection?.isOpen) return;
    if (member.openedOn === this.generation) return;
    member.openedOn = this.generation;
    member.subscriber.onOpen();
  }

  private open(): void {
    const connection = new RealtimeConnection({
      ...this.settings,
      handlers: {
        onOpen: () => {
          if (this.connection !== connection) return;
          this.generation++;
          for (const [tag, member] of [...this.members]) this.greet(tag, member);
        },
        onMessage: (message) => {
          if (this.connection === connection) this.route(message);
        },
        onClose: () => {
          if (this.connection !== connection) return;
          // The server forgets the writes of a closed connection: the next one answers nothing of them.
          this.unanswered.clear();
          for (const member of [...this.members.values()]) member.subscriber.onClose();
        },
        onFatal: (error) => {
          if (this.connection !== connection) return;
          this.retired = true;
          this.onDone(this);
          for (const member of [...this.members.values()]) member.subscriber.onFatal(error);
        },
        onError: (error) => {
          if (this.connection !== connection) return;
          for (const member of [...this.members.values()]) member.subscriber.onError(error);
        },
      },
    });
    this.connection = connection;
    void connection.start();
  }

  private route(message: ServerMessage): void {
    const id = "id" in message ? message.id : undefined;
    if (id !== undefined) {
      // An answer: to the subscriber that asked, if it is still here.
      const dot = id.indexOf(".");
      const member = dot < 0 ? undefined : this.members.get(id.slice(0, dot + 1));
      member?.subscriber.onMessage(message);
      return;
    }
    switch (message.type) {
      case "snapshot":
      case "patch":
      case "refresh":
        this.byDashboard.get(message.dashboardId)?.subscriber.onMessage(message);
        return;
      case "approval":
      case "mcp_server":
      case "agent":
        for (const member of [...this.members.values()]) {
          if (member.subscriber.broadcasts?.includes(message.type)) member.subscriber.onMessage(message);
        }
        return;
      default:
        // An error without an id (a frame refused by the rate limit): it may concern anyone.
        for (const member of [...this.members.values()]) member.subscriber.onMessage(message);
    }
  }
}
