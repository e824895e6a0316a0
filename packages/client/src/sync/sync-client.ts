import {
  AgentboardError,
  ClientIdSchema,
  DashboardIdSchema,
  type DashboardState,
  type JsonPatchOp,
  loadDashboardState,
  type ServerMessage,
} from "@agentboard/protocol";
import { backoffDelay } from "./backoff.js";
import { SendPacer } from "./send-pacer.js";
import { RealtimeConnection, type WebSocketConstructor } from "./sync-connection.js";
import { type EngineEffects, type PendingMutation, ReplicaEngine, type SyncConflict } from "./sync-engine.js";
import { SyncClosedError } from "./sync-errors.js";
import { TypedEmitter } from "./typed-emitter.js";
import { type WaitOptions, waitUntil } from "./wait-until.js";

/**
 * `connecting` until the first catch-up, `connected` while subscribed and caught up, `reconnecting` after a
 * drop, `offline` once it will not reconnect any more (refused credentials, or `close()`).
 */
export type SyncStatus = "connecting" | "connected" | "reconnecting" | "offline";

/** Event name → listener arguments. */
export interface SyncEvents {
  /** The optimistic state or the confirmed rev changed. */
  change: [state: DashboardState, rev: number];
  status: [status: SyncStatus];
  /** A local edit was dropped; the UI shows it. */
  conflict: [conflict: SyncConflict];
  /** The server asks this client (as the widget's writer) to republish a widget. */
  refresh: [widgetId: string];
  /** Refused credentials (then status is `offline`), failed ticket requests, bad frames, throwing listeners. */
  error: [error: Error];
}

export interface SyncOptions {
  /** Identifies this replica in mutation ids and change origins; random by default (two tabs differ). */
  clientId?: string;
  /** Rebase-and-resend rounds per edit after `conflict` nacks; then it is dropped (default 20). */
  maxRebases?: number;
  /** A WebSocket class; default the global one, else (Node 20) the `ws` package. */
  WebSocket?: WebSocketConstructor;
  /** First reconnect step (default 500 ms); steps double up to `maxReconnectDelayMs` (default 10 s). */
  minReconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** An opening socket is given up after this long (default 10 s). */
  connectionTimeoutMs?: number;
  /** Application ping interval (default 25 s); a socket silent for one interval after a ping is replaced. */
  heartbeatIntervalMs?: number;
  /**
   * Patches sent per second at most, after a burst of as many (default 50: half the server's default
   * per-connection frame rate, leaving room for pings).
   */
  maxPatchesPerSecond?: number;
  /**
   * Start from a copy saved earlier (e.g. in IndexedDB): `state` is what the server had at `rev` — save
   * `confirmedState` and `rev`, never the optimistic `state`, or the replica starts from edits the server
   * may never have seen. The replica is usable at once: `state` and `rev` return the copy, `apply()` queues
   * edits like edits made offline, and the first subscribe asks only for what came after `rev`. `ready()`
   * still waits for the server. If the server is behind `rev` (its data was reset or restored), its snapshot
   * wins and the pending edits are re-applied on top of it. Migrated and validated with the protocol's
   * `loadDashboardState`; an invalid copy throws its typed error from `board.sync()`.
   */
  initial?: { rev: number; state: DashboardState };
}

/** A live replica of one dashboard (contract.md "SDK"). */
export interface SyncClient {
  readonly dashboardId: string;
  readonly clientId: string;
  /**
   * The optimistic state: the server's state at `rev` plus pending local edits. Undefined before the first
   * snapshot, unless started from `initial`.
   */
  readonly state: DashboardState | undefined;
  /** The server's state at `rev`, without pending edits: what to save for a later `initial`. */
  readonly confirmedState: DashboardState | undefined;
  /** The rev of the server state this replica has confirmed (before ready: the rev of `initial`, or 0). */
  readonly rev: number;
  readonly status: SyncStatus;
  /** Local edits not yet confirmed, oldest first. */
  readonly pending: readonly PendingMutation[];
  /** Returns the unsubscribe function. */
  on<E extends keyof SyncEvents>(event: E, listener: (...args: SyncEvents[E]) => void): () => void;
  /**
   * Applies ops optimistically and queues them for the server; returns the mutationId. Validates first and
   * throws the protocol's typed error (PatchPathError, PatchApplyError, StateValidationError, …) with
   * nothing queued; SyncNotReadyError before the first snapshot (never with `initial`), SyncClosedError
   * after `close()`, and the refusal (unauthorized/forbidden) once the server refused this replica.
   */
  apply(ops: readonly JsonPatchOp[]): string;
  /** Resolves once the first snapshot or catch-up from the server is in (also when started from `initial`). */
  ready(options?: WaitOptions): Promise<void>;
  /** Resolves when no local edit is pending any more (each was confirmed or dropped with a conflict). */
  flushed(options?: WaitOptions): Promise<void>;
  /**
   * Connects now instead of waiting out the reconnect backoff (the browser came back online, a user pressed
   * "retry"). An open socket is replaced, since after a network change it may be dead without knowing it;
   * an attempt already under way is kept, so there is never more than one socket. No-op after `close()` or
   * once the server refused this replica.
   */
  reconnect(): void;
  /** Stops syncing and resolves once no listener, timer or socket of this client is left. */
  close(): Promise<void>;
}

export interface CreateSyncClientOptions extends SyncOptions {
  dashboardId: string;
  baseUrl: string;
  fetchTicket(signal: AbortSignal): Promise<string>;
}

const MAX_CLIENT_ID_LENGTH = 100;

function randomClientId(): string {
  // getRandomValues works in insecure browser contexts too, unlike randomUUID.
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(12));
  return `c${Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("")}`;
}

export function createSyncClient(options: CreateSyncClientOptions): SyncClient {
  const dashboardId = DashboardIdSchema.safeParse(options.dashboardId);
  if (!dashboardId.success)
    throw new AgentboardError("invalid", `"${options.dashboardId}" is not a dashboard id`);
  const clientId = options.clientId ?? randomClientId();
  // Mutation ids are `${clientId}:${counter}` and must stay within the protocol's 128 characters.
  if (!ClientIdSchema.safeParse(clientId).success || clientId.length > MAX_CLIENT_ID_LENGTH) {
    throw new AgentboardError(
      "invalid",
      `"${clientId}" is not a valid clientId (A-Z a-z 0-9 _ . : -, at most ${MAX_CLIENT_ID_LENGTH})`,
    );
  }
  const initial = options.initial === undefined ? undefined : checkInitial(options.initial);
  return new LiveSyncClient({ ...options, dashboardId: dashboardId.data, clientId, initial });
}

/**
 * Validates a saved copy before anything connects. `loadDashboardState` migrates an older schemaVersion and
 * validates (StateValidationError, UnsupportedSchemaVersionError, DocumentTooLargeError); its result is a
 * fresh object, so a caller changing its copy later cannot change the replica's base.
 */
function checkInitial(initial: unknown): { rev: number; state: DashboardState } {
  if (typeof initial !== "object" || initial === null) {
    throw new AgentboardError("invalid", "initial must be an object { rev, state }");
  }
  const { rev, state } = initial as { rev?: unknown; state?: unknown };
  if (typeof rev !== "number" || !Number.isSafeInteger(rev) || rev < 0) {
    throw new AgentboardError("invalid", `initial.rev must be a non-negative integer; got ${String(rev)}`);
  }
  return { rev, state: loadDashboardState(state).state };
}

const HOLD_BACKOFF = { minDelayMs: 250, maxDelayMs: 10_000 };

class LiveSyncClient implements SyncClient {
  readonly dashboardId: string;
  readonly clientId: string;
  private readonly engine: ReplicaEngine;
  private readonly connection: RealtimeConnection;
  private readonly events: TypedEmitter<SyncEvents>;
  /** Internal wake-ups of ready()/flushed() waits; separate from the public listeners. */
  private readonly waiters = new Set<() => void>();
  /** Dashboard ids the frames of this subscription carry: ours, and whatever `subscribed` names. */
  private readonly servedIds = new Set<string>();
  private currentStatus: SyncStatus = "connecting";
  private subscribeId: string | undefined;
  private hasBeenLive = false;
  private fatalError: AgentboardError | undefined;
  private closed = false;
  private holdTimer: ReturnType<typeof setTimeout> | undefined;
  private holdAttempt = 0;
  private readonly pacer: SendPacer;
  private paceTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: CreateSyncClientOptions & { clientId: string }) {
    this.dashboardId = options.dashboardId;
    this.clientId = options.clientId;
    this.servedIds.add(options.dashboardId);
    this.events = new TypedEmitter<SyncEvents>((error, event) => {
      if (event === "error") {
        // An error listener that throws has nowhere else to report to: surface it like any uncaught error.
        queueMicrotask(() => {
          throw error;
        });
        return;
      }
      this.events.emit("error", error instanceof Error ? error : new Error(String(error)));
    });
    const patchesPerSecond = options.maxPatchesPerSecond ?? 50;
    this.pacer = new SendPacer(patchesPerSecond, patchesPerSecond);
    this.engine = new ReplicaEngine({
      dashboardId: options.dashboardId,
      clientId: options.clientId,
      maxRebases: options.maxRebases,
      initial: options.initial,
    });
    this.connection = new RealtimeConnection({
      baseUrl: options.baseUrl,
      fetchTicket: options.fetchTicket,
      WebSocket: options.WebSocket,
      minReconnectDelayMs: options.minReconnectDelayMs ?? 500,
      maxReconnectDelayMs: options.maxReconnectDelayMs ?? 10_000,
      connectionTimeoutMs: options.connectionTimeoutMs ?? 10_000,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 25_000,
      handlers: {
        onOpen: () => this.handleOpen(),
        onMessage: (message) => this.handleMessage(message),
        onClose: () => this.handleClose(),
        onFatal: (error) => this.fail(error),
        onError: (error) => this.events.emit("error", error),
      },
    });
    void this.connection.start();
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
    this.connection.reconnectNow();
  }

  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      clearTimeout(this.holdTimer);
      clearTimeout(this.paceTimer);
      this.setStatus("offline");
      this.wake();
      this.events.clear();
      this.waiters.clear();
    }
    await this.connection.close();
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

  private handleOpen(): void {
    this.engine.onDisconnect();
    const subscribe = this.engine.subscribeMessage();
    this.subscribeId = subscribe.id;
    this.connection.send(subscribe);
  }

  private handleMessage(message: ServerMessage): void {
    switch (message.type) {
      case "subscribed":
        if (message.id !== this.subscribeId) return;
        this.servedIds.add(message.dashboardId);
        this.step(this.engine.onSubscribed(message.rev));
        return;
      case "snapshot":
        if (this.servedIds.has(message.dashboardId))
          this.step(this.engine.onSnapshot(message.rev, message.state));
        return;
      case "patch":
        if (this.servedIds.has(message.dashboardId)) this.step(this.engine.onRemotePatch(message));
        return;
      case "ack":
        this.step(this.engine.onAck(message));
        return;
      case "nack":
        this.step(this.engine.onNack(message));
        return;
      case "refresh":
        if (this.servedIds.has(message.dashboardId)) this.events.emit("refresh", message.widgetId);
        return;
      case "error": {
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
            this.connection.reconnect("a frame was refused by the rate limit");
          }
        }
        return;
      }
      default:
        return;
    }
  }

  private handleClose(): void {
    this.engine.onDisconnect();
    this.subscribeId = undefined;
    clearTimeout(this.holdTimer);
    if (this.closed || this.fatalError) return;
    this.setStatus(this.hasBeenLive ? "reconnecting" : "connecting");
    this.wake();
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
      this.connection.reconnect("resync");
    } else {
      if (this.engine.isLive) {
        if (!this.hasBeenLive) this.hasBeenLive = true;
        this.connection.markHealthy();
        this.setStatus("connected");
      }
      this.pump();
    }
    if (effects.changed && this.engine.state) this.events.emit("change", this.engine.state, this.engine.rev);
    this.wake();
  }

  /** Sends the head edit when the engine has one to send; at most one is in flight. */
  private pump(): void {
    if (!this.connection.isOpen || this.paceTimer !== undefined) return;
    const wait = this.pacer.take();
    if (wait > 0) {
      this.paceTimer = setTimeout(() => {
        this.paceTimer = undefined;
        this.pump();
      }, wait);
      return;
    }
    const message = this.engine.nextToSend();
    if (!message) {
      this.pacer.refund();
      return;
    }
    // If the socket closed in between, the close handler resets the in-flight slot and a resend follows.
    this.connection.send(message);
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
    void this.connection.close();
  }

  private setStatus(status: SyncStatus): void {
    if (this.currentStatus === status) return;
    this.currentStatus = status;
    this.events.emit("status", status);
  }
}
