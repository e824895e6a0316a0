import {
  AgentboardError,
  type DashboardState,
  type JsonPatchOp,
  type ServerMessage,
} from "@agentboard/protocol";
import { backoffDelay } from "../backoff.js";
import type { BoardRealtime } from "../realtime/board-realtime.js";
import type { RealtimeLink, RealtimeSubscriber } from "../realtime/realtime-lane.js";
import { TypedEmitter } from "../typed-emitter.js";
import type { PendingMutation } from "./local-edits.js";
import { type EngineEffects, ReplicaEngine } from "./replica-engine.js";
import { SyncClosedError } from "./sync-errors.js";
import type { SyncClient, SyncEvents, SyncStatus } from "./sync-types.js";
import { type WaitOptions, waitUntil } from "./wait-until.js";

export interface LiveSyncClientOptions {
  dashboardId: string;
  clientId: string;
  maxRebases: number | undefined;
  initial: { rev: number; state: DashboardState } | undefined;
  realtime: BoardRealtime;
  onClosed: () => void;
}

const HOLD_BACKOFF = { minDelayMs: 250, maxDelayMs: 10_000 };

/**
 * A replica on the board client's realtime connection: the ReplicaEngine makes every decision about revs,
 * acks and rebases; this class subscribes on each socket, feeds the engine its frames, paces what it sends,
 * and turns the engine's effects into events, statuses and waits.
 */
export class LiveSyncClient implements SyncClient, RealtimeSubscriber {
  readonly dashboardId: string;
  readonly clientId: string;
  private readonly engine: ReplicaEngine;
  private readonly link: RealtimeLink;
  private readonly events: TypedEmitter<SyncEvents>;
  /** Internal wake-ups of ready()/flushed() waits; separate from the public listeners. */
  private readonly waiters = new Set<() => void>();
  private currentStatus: SyncStatus = "connecting";
  /** The id of the subscribe sent on the current socket; undefined when none was sent on it. */
  private subscribeId: string | undefined;
  /**
   * The server answered that subscribe. Dashboard frames before it belong to an earlier subscription on the
   * shared socket (one this client's previous replica of the dashboard left) and are ignored.
   */
  private subscribed = false;
  private hasBeenLive = false;
  private fatalError: AgentboardError | undefined;
  private closed = false;
  private holdTimer: ReturnType<typeof setTimeout> | undefined;
  private holdAttempt = 0;
  private paceTimer: ReturnType<typeof setTimeout> | undefined;
  private requestCounter = 0;
  private readonly onClosed: () => void;
  /** Leaving the connection (after a refusal, or close()): close() resolves when it is done. */
  private detached: Promise<void> | undefined;

  constructor(options: LiveSyncClientOptions) {
    this.onClosed = options.onClosed;
    this.dashboardId = options.dashboardId;
    this.clientId = options.clientId;
    this.events = TypedEmitter.reportingToErrorEvent<SyncEvents>();
    const tag = options.realtime.newTag("r");
    this.engine = new ReplicaEngine({
      dashboardId: options.dashboardId,
      clientId: options.clientId,
      maxRebases: options.maxRebases,
      initial: options.initial,
      requestIdPrefix: tag,
    });
    this.link = options.realtime.attach(this, tag);
  }

  get state(): DashboardState | undefined {
    return this.engine.state;
  }

  get confirmedState(): DashboardState | undefined {
    return this.engine.confirmedState;
  }

  get rev(): number {
    return this.engine.rev;
  }

  get status(): SyncStatus {
    return this.currentStatus;
  }

  get pending(): readonly PendingMutation[] {
    return this.engine.pending;
  }

  on<E extends keyof SyncEvents>(event: E, listener: (...args: SyncEvents[E]) => void): () => void {
    if (this.closed) return () => {};
    return this.events.on(event, listener);
  }

  apply(ops: readonly JsonPatchOp[]): string {
    this.assertUsable();
    const mutationId = this.engine.apply(ops);
    this.pump();
    this.events.emit("change", this.engine.state!, this.engine.rev);
    this.wake();
    return mutationId;
  }

  ready(options?: WaitOptions): Promise<void> {
    return waitUntil(
      `the first snapshot of dashboard ${this.dashboardId}`,
      () => {
        if (this.hasBeenLive) return true;
        this.assertUsable();
        return false;
      },
      (wake) => this.onWake(wake),
      options,
    );
  }

  flushed(options?: WaitOptions): Promise<void> {
    return waitUntil(
      `the pending edits of dashboard ${this.dashboardId}`,
      () => {
        if (this.engine.pendingCount === 0) return true;
        this.assertUsable();
        return false;
      },
      (wake) => this.onWake(wake),
      options,
    );
  }

  reconnect(): void {
    if (this.closed || this.fatalError) return;
    this.link.reconnectNow();
  }

  async close(): Promise<void> {
    const writeInFlight = this.engine.inFlightRequestId !== undefined;
    if (!this.closed) {
      this.closed = true;
      this.onClosed();
      clearTimeout(this.holdTimer);
      clearTimeout(this.paceTimer);
      // The socket may go on carrying others: the server stops sending this dashboard here.
      if (this.subscribeId !== undefined && !this.fatalError) {
        this.link.send({ type: "unsubscribe", id: this.nextRequestId("u"), dashboardId: this.dashboardId });
      }
      this.setStatus("offline");
      this.wake();
      this.events.clear();
      this.waiters.clear();
    }
    this.detached ??= this.link.detach({ writeInFlight });
    await this.detached;
  }

  // RealtimeSubscriber: called by the board client's connection.

  onOpen(): void {
    if (this.closed || this.fatalError) return;
    this.engine.onDisconnect();
    const subscribe = this.engine.subscribeMessage();
    this.subscribeId = subscribe.id;
    this.subscribed = false;
    this.link.send(subscribe);
  }

  onMessage(message: ServerMessage): void {
    if (this.closed || this.fatalError) return;
    switch (message.type) {
      case "subscribed":
        if (message.id !== this.subscribeId) return;
        this.subscribed = true;
        this.step(this.engine.onSubscribed(message.rev));
        return;
      case "snapshot":
        if (this.subscribed) this.step(this.engine.onSnapshot(message.rev, message.state));
        return;
      case "patch":
        if (this.subscribed) this.step(this.engine.onRemotePatch(message));
        return;
      case "ack":
        this.step(this.engine.onAck(message));
        return;
      case "nack":
        this.step(this.engine.onNack(message));
        return;
      case "refresh":
        if (this.subscribed) this.events.emit("refresh", message.widgetId);
        return;
      case "error":
        this.onErrorFrame(message);
        return;
      default:
        return;
    }
  }

  onClose(): void {
    this.engine.onDisconnect();
    this.subscribeId = undefined;
    this.subscribed = false;
    clearTimeout(this.holdTimer);
    if (this.closed || this.fatalError) return;
    this.setStatus(this.hasBeenLive ? "reconnecting" : "connecting");
    this.wake();
  }

  onFatal(error: AgentboardError): void {
    this.fail(error);
  }

  onError(error: Error): void {
    if (!this.closed && !this.fatalError) this.events.emit("error", error);
  }

  private onErrorFrame(message: Extract<ServerMessage, { type: "error" }>): void {
    const error = new AgentboardError(message.error, message.message);
    // A refused subscribe (forbidden, not_found, invalid id) will be refused again on every reconnect.
    if (message.id !== undefined && message.id === this.subscribeId) {
      this.fail(error);
    } else if (message.id !== undefined && message.id === this.engine.inFlightRequestId) {
      // The hub refused the patch frame itself (before the write path): same meaning as a nack.
      this.step(this.engine.onNack({ id: message.id, error: message.error, message: message.message }));
    } else {
      this.events.emit("error", error);
      // A frame refused by the rate limit carries no id: if it was our patch, its answer never comes.
      // A fresh session resends it (same mutationId, so at most once) after the catch-up.
      if (message.error === "rate_limited" && this.engine.inFlightRequestId !== undefined) {
        this.link.reconnect("a frame was refused by the rate limit");
      }
    }
  }

  private assertUsable(): void {
    if (this.closed) throw new SyncClosedError(this.dashboardId);
    if (this.fatalError) throw this.fatalError;
  }

  private onWake(wake: () => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private step(effects: EngineEffects): void {
    for (const conflict of effects.conflicts) this.events.emit("conflict", conflict);
    if (effects.retryLater) {
      clearTimeout(this.holdTimer);
      this.holdTimer = setTimeout(
        () => {
          this.engine.releaseHold();
          this.pump();
        },
        backoffDelay(++this.holdAttempt, HOLD_BACKOFF),
      );
    } else if (effects.changed) {
      this.holdAttempt = 0;
    }
    if (effects.resync) {
      // The server's subscription cannot be restarted in place on a shared socket without losing the ack of
      // a write in flight, so a gap costs a reconnect: every subscription on it catches up from its rev.
      this.link.reconnect("resync");
    } else {
      if (this.engine.isLive) {
        if (!this.hasBeenLive) this.hasBeenLive = true;
        this.link.markHealthy();
        this.setStatus("connected");
      }
      this.pump();
    }
    if (effects.changed && this.engine.state) this.events.emit("change", this.engine.state, this.engine.rev);
    this.wake();
  }

  /** Sends the head edit when the engine has one to send; at most one is in flight. */
  private pump(): void {
    if (!this.link.isOpen || this.paceTimer !== undefined) return;
    const wait = this.link.pacer.take();
    if (wait > 0) {
      this.paceTimer = setTimeout(() => {
        this.paceTimer = undefined;
        this.pump();
      }, wait);
      return;
    }
    const message = this.engine.nextToSend();
    if (!message) {
      this.link.pacer.refund();
      return;
    }
    // If the socket closed in between, the close handler resets the in-flight slot and a resend follows.
    this.link.send(message);
  }

  private fail(error: AgentboardError): void {
    if (this.closed || this.fatalError) return;
    this.fatalError = error;
    this.engine.onDisconnect();
    clearTimeout(this.holdTimer);
    clearTimeout(this.paceTimer);
    this.paceTimer = undefined;
    this.setStatus("offline");
    this.events.emit("error", error);
    this.wake();
    this.detached = this.link.detach();
  }

  private setStatus(status: SyncStatus): void {
    if (this.currentStatus === status) return;
    this.currentStatus = status;
    this.events.emit("status", status);
  }

  private nextRequestId(kind: string): string {
    return `${this.link.tag}${kind}${++this.requestCounter}`;
  }
}
