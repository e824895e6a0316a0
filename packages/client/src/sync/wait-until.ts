import { SyncTimeoutError } from "./sync-errors.js";

export interface WaitOptions {
  /** Default 30 s; the wait then rejects with SyncTimeoutError. */
  timeoutMs?: number;
  /** Aborting rejects the wait with the signal's reason. */
  signal?: AbortSignal;
}

export const DEFAULT_WAIT_MS = 30_000;

/**
 * Resolves once `check()` returns true; `check` throws to reject (closed, offline). It subscribes to
 * updates first and checks second, so an update between the two cannot be missed, and it removes its
 * timer and listeners on every path (resolve, reject, timeout, abort).
 */
export function waitUntil(
  what: string,
  check: () => boolean,
  subscribe: (onUpdate: () => void) => () => void,
  options: WaitOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
  const { signal } = options;
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let settled = false;
    const settle = (outcome: { error: unknown } | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      signal?.removeEventListener("abort", onAbort);
      if (outcome) reject(outcome.error);
      else resolve();
    };
    const evaluate = () => {
      try {
        if (check()) settle(undefined);
      } catch (error) {
        settle({ error });
      }
    };
    const onAbort = () => settle({ error: signal?.reason });
    const unsubscribe = subscribe(evaluate);
    const timer = setTimeout(() => settle({ error: new SyncTimeoutError(what, timeoutMs) }), timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    evaluate();
  });
}
