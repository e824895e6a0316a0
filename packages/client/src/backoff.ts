export interface BackoffOptions {
  /** The step of the first retry. */
  minDelayMs: number;
  /** No step grows beyond this. */
  maxDelayMs: number;
}

/**
 * The SDK's one retry delay (reconnects, held edits, long-poll retries). Delay before attempt `attempt`
 * (0 = the first try, which does not wait): exponential steps with "equal jitter" — half of each step is
 * fixed and half random, so clients dropped together by a server restart spread out, yet none retries sooner
 * than half its step.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  if (attempt <= 0) return 0;
  const step = Math.min(options.maxDelayMs, options.minDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(step / 2 + (random() * step) / 2);
}

/**
 * A timer that ends early (rejecting with the signal's reason) when `signal` aborts; nothing outlives it.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
