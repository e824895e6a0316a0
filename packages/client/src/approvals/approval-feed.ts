import type { ApprovalEvent } from "@agentboard/protocol";
import { TypedEmitter } from "../typed-emitter.js";
import type { ApprovalEvents, ApprovalEventsSignal } from "./approval-events.js";

/**
 * `connecting` until the first subscription, `live` while approval events flow, `reconnecting` after a drop,
 * `offline` once it will not reconnect (refused credentials, or `close()`).
 */
export type ApprovalFeedStatus = "connecting" | "live" | "reconnecting" | "offline";

/** Event name → listener arguments. */
export interface ApprovalFeedEvents {
  /** An approval was created, decided, cancelled or expired (what the caller may see of the workspace). */
  approval: [event: ApprovalEvent];
  /**
   * The feed (re)subscribed: events from now on are complete. Read what you show again
   * (`approvals.list()`): whatever happened while the feed was down was not delivered. Also fired when the
   * feed starts on a subscription that was already live.
   */
  live: [];
  status: [status: ApprovalFeedStatus];
  /** The server refused the credentials (then status is `offline`); a throwing listener. */
  error: [error: Error];
}

/** Live approval events for a UI (an inbox, a badge): `board.approvals.feed()`; `close()` it when done. */
export interface ApprovalFeed {
  readonly status: ApprovalFeedStatus;
  /** Returns the unsubscribe function. */
  on<E extends keyof ApprovalFeedEvents>(
    event: E,
    listener: (...args: ApprovalFeedEvents[E]) => void,
  ): () => void;
  /** Stops the feed and resolves once it holds nothing (its share of the connection is given back). */
  close(): Promise<void>;
}

/** A feed over the board client's approval subscription (which waits use too). */
export class LiveApprovalFeed implements ApprovalFeed {
  private currentStatus: ApprovalFeedStatus = "connecting";
  private readonly events: TypedEmitter<ApprovalFeedEvents>;
  private readonly off: () => void;
  private readonly release: () => Promise<void>;
  private closed = false;
  private hasBeenLive = false;

  constructor(
    approvalEvents: ApprovalEvents,
    private readonly onClosed: () => void = () => {},
  ) {
    this.events = TypedEmitter.reportingToErrorEvent<ApprovalFeedEvents>();
    // Listen first, then subscribe: nothing between the two is missed.
    this.off = approvalEvents.on((signal) => this.hear(signal));
    this.release = approvalEvents.acquire({ linger: false });
    // Already live (waits use the subscription): say so once the caller has registered its listeners.
    if (approvalEvents.isSubscribed) {
      queueMicrotask(() => {
        if (!this.closed && !this.hasBeenLive) this.goLive();
      });
    }
  }

  get status(): ApprovalFeedStatus {
    return this.currentStatus;
  }

  on<E extends keyof ApprovalFeedEvents>(
    event: E,
    listener: (...args: ApprovalFeedEvents[E]) => void,
  ): () => void {
    if (this.closed) return () => {};
    return this.events.on(event, listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClosed();
    this.setStatus("offline");
    this.events.clear();
    this.off();
    await this.release();
  }

  private hear(signal: ApprovalEventsSignal): void {
    if (this.closed || this.currentStatus === "offline") return;
    switch (signal.kind) {
      case "subscribed":
        this.goLive();
        return;
      case "approval":
        this.events.emit("approval", signal.event);
        return;
      case "down":
        this.setStatus(this.hasBeenLive ? "reconnecting" : "connecting");
        return;
      case "fatal":
        this.setStatus("offline");
        this.events.emit("error", signal.error);
        this.off();
        void this.release();
        return;
    }
  }

  private goLive(): void {
    this.hasBeenLive = true;
    this.setStatus("live");
    this.events.emit("live");
  }

  private setStatus(status: ApprovalFeedStatus): void {
    if (this.currentStatus === status) return;
    this.currentStatus = status;
    this.events.emit("status", status);
  }
}
