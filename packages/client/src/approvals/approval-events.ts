import type { AgentboardError, ApprovalEvent, ServerMessage } from "@agentboard/protocol";
import type { BoardRealtime } from "../realtime/board-realtime.js";
import type { RealtimeLink, RealtimeSubscriber } from "../realtime/realtime-lane.js";

export type ApprovalEventsSignal =
  /** (Re)subscribed: events from here on are complete; what happened while down must be read again. */
  | { kind: "subscribed" }
  | { kind: "approval"; event: ApprovalEvent }
  /** The socket dropped (a reconnect is under way), or this client closed the subscription. */
  | { kind: "down" }
  /** The server refused the credentials. */
  | { kind: "fatal"; error: AgentboardError };

/** How long the subscription stays after the last wait ends, so back-to-back waits share it. */
const WAIT_LINGER_MS = 2_000;

/**
 * The board client's one subscription to approval events, on its realtime connection, shared by every
 * `handle.wait()` and every `approvals.feed()`. It subscribes when the first of them needs it and leaves
 * (after a short linger for waits) when the last one is done, so an idle agent holds no socket. Every
 * (re)subscription is announced, which is the cue to re-read: nothing decided while the socket was down is
 * missed.
 */
export class ApprovalEvents implements RealtimeSubscriber {
  readonly broadcasts = ["approval"] as const;
  private link: RealtimeLink | undefined;
  private users = 0;
  private linger: ReturnType<typeof setTimeout> | undefined;
  private subscribed = false;
  private subscribeId: string | undefined;
  private readonly listeners = new Set<(signal: ApprovalEventsSignal) => void>();
  private requestCounter = 0;

  constructor(private readonly realtime: BoardRealtime) {}

  get isSubscribed(): boolean {
    return this.subscribed;
  }

  /** Registers a listener (do this before reading state: subscribe first, then check). */
  on(listener: (signal: ApprovalEventsSignal) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Keeps the subscription until the returned release function is called. `linger`: stay subscribed a
   * little after the last release (waits come in bursts; a UI feed that closes has no such reason).
   */
  acquire(options: { linger: boolean }): () => Promise<void> {
    this.users++;
    clearTimeout(this.linger);
    this.linger = undefined;
    if (!this.link) this.link = this.realtime.attach(this, this.realtime.newTag("a"));
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      if (--this.users > 0) return;
      if (!options.linger) return this.leave();
      this.linger = setTimeout(() => void this.leave(), WAIT_LINGER_MS);
      (this.linger as { unref?: () => void }).unref?.();
    };
  }

  /** Leaves now, whatever the users (board client shutdown): waits in progress hear `down`. */
  async close(): Promise<void> {
    clearTimeout(this.linger);
    const wasUp = this.link !== undefined;
    const left = this.leave();
    if (wasUp) this.emit({ kind: "down" });
    await left;
  }

  onOpen(): void {
    this.subscribeId = `${this.link?.tag ?? ""}s${++this.requestCounter}`;
    this.link?.send({ type: "subscribe_approvals", id: this.subscribeId });
  }

  onMessage(message: ServerMessage): void {
    if (message.type === "subscribed_approvals" && message.id === this.subscribeId) {
      this.subscribed = true;
      this.link?.markHealthy();
      this.emit({ kind: "subscribed" });
    } else if (message.type === "approval") {
      this.emit({ kind: "approval", event: { event: message.event, approval: message.approval } });
    }
  }

  onClose(): void {
    this.subscribed = false;
    this.subscribeId = undefined;
    this.emit({ kind: "down" });
  }

  onFatal(error: AgentboardError): void {
    this.subscribed = false;
    // That connection is gone; whoever acquires next starts a fresh one.
    void this.link?.detach();
    this.link = undefined;
    this.emit({ kind: "fatal", error });
  }

  onError(): void {
    // Reconnects are the connection's business; waiters and feeds learn about outages from "down".
  }

  private leave(): Promise<void> {
    const link = this.link;
    this.link = undefined;
    this.subscribed = false;
    this.subscribeId = undefined;
    this.linger = undefined;
    // The protocol has no way to stop approval events: they keep coming on a socket others still use, and
    // the connection drops them for want of a listener.
    return link?.detach() ?? Promise.resolve();
  }

  private emit(signal: ApprovalEventsSignal): void {
    for (const listener of [...this.listeners]) listener(signal);
  }
}
