import type { DashboardState, JsonPatchOp } from "@agentboard/protocol";
import type { PendingMutation, SyncConflict } from "./local-edits.js";
import type { WaitOptions } from "./wait-until.js";

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

/**
 * Options of one replica. How it connects (WebSocket class, reconnect delays, heartbeat, patch rate) is set
 * on `createBoardClient`: every replica of a board client shares its realtime connection.
 */
export interface SyncOptions {
  /** Identifies this replica in mutation ids and change origins; random by default (two tabs differ). */
  clientId?: string;
  /** Rebase-and-resend rounds per edit after `conflict` nacks; then it is dropped (default 20). */
  maxRebases?: number;
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
   * an attempt already under way is kept, so there is never more than one socket. The socket is the board
   * client's, shared with its other subscriptions. No-op after `close()` or once the server refused this
   * replica.
   */
  reconnect(): void;
  /**
   * Stops syncing and resolves once no listener or timer of this replica is left, and, when it was the last
   * user of the board client's realtime connection, once that socket is closed.
   */
  close(): Promise<void>;
}
