const MARKER = Symbol.for("agentboard.sync-error");

/** Stable codes of the SDK's local sync errors (wire errors keep the contract codes of AgentboardError). */
export type SyncErrorCode = "sync_not_ready" | "sync_closed" | "sync_timeout";

/**
 * Base of the errors a SyncClient raises on its own (no server answer involved). `isInstance` uses a marker
 * instead of `instanceof`, so it works when an app bundles two copies of the SDK.
 */
export class SyncError extends Error {
  readonly [MARKER] = true;
  readonly code: SyncErrorCode;

  constructor(code: SyncErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "SyncError";
    this.code = code;
  }

  static isInstance(value: unknown): value is SyncError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }
}

/** `apply()` before the first snapshot: there is no state yet to validate the ops against. */
export class SyncNotReadyError extends SyncError {
  constructor(dashboardId: string) {
    super("sync_not_ready", `dashboard ${dashboardId} has no state yet; await sync.ready() before apply()`);
    this.name = "SyncNotReadyError";
  }
}

/** The SyncClient was closed while something waited on it. */
export class SyncClosedError extends SyncError {
  constructor(dashboardId: string) {
    super("sync_closed", `the sync client of dashboard ${dashboardId} is closed`);
    this.name = "SyncClosedError";
  }
}

/** A `ready()`/`flushed()` wait ran out of time; the replica keeps syncing. */
export class SyncTimeoutError extends SyncError {
  readonly waitingFor: string;
  readonly timeoutMs: number;
  constructor(waitingFor: string, timeoutMs: number) {
    super("sync_timeout", `timed out after ${timeoutMs} ms waiting for ${waitingFor}`);
    this.name = "SyncTimeoutError";
    this.waitingFor = waitingFor;
    this.timeoutMs = timeoutMs;
  }
}
