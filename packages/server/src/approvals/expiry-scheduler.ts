/** setTimeout fires at once for delays above 2^31 - 1 ms (~24.8 days); longer waits are done in hops. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;
/** After a failed expiry (store down), try again this much later rather than lose the deadline. */
const RETRY_AFTER_ERROR_MS = 5_000;

export type ExpireOutcome =
  /** Expired (or rejected) now, or no longer pending: nothing more to do. */
  | { done: true }
  /** Still pending and not yet due (e.g. the clock moved): arm again for this time. */
  | { done: false; expiresAt: string };

export interface ExpirySchedulerOptions {
  /** Runs the compare-and-set expiry of one approval. */
  expire(workspaceId: string, id: string): Promise<ExpireOutcome>;
  now?: () => number;
  log: { error(details: object, message: string): void };
}

interface Armed {
  timer: NodeJS.Timeout;
  workspaceId: string;
  id: string;
  expiresAtMs: number;
}

/**
 * One timer per pending approval that has an `expiresAt`. Timers are unref'd (a pending approval must not
 * keep a CLI process alive) and rebuilt from the database at every start, so a deadline that passed while
 * no server ran is honoured right after the next start. Firing runs the same compare-and-set as a human
 * decision, so a timer racing a decision, or the timers of two nodes, have exactly one winner.
 */
export class ExpiryScheduler {
  private readonly armed = new Map<string, Armed>();
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: ExpirySchedulerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** (Re-)arms the timer of one approval; a past deadline fires on the next tick. */
  arm(workspaceId: string, id: string, expiresAt: string): void {
    if (this.closed) return;
    const expiresAtMs = Date.parse(expiresAt);
    if (Number.isNaN(expiresAtMs)) {
      this.options.log.error(
        { approvalId: id, expiresAt },
        "approval has an unreadable expiresAt; not armed",
      );
      return;
    }
    this.schedule(workspaceId, id, expiresAtMs, expiresAtMs - this.now());
  }

  /** The approval left pending another way: its timer is no longer needed. */
  disarm(workspaceId: string, id: string): void {
    const key = keyOf(workspaceId, id);
    const armed = this.armed.get(key);
    if (!armed) return;
    clearTimeout(armed.timer);
    this.armed.delete(key);
  }

  /** Armed timers (leak checks). */
  get size(): number {
    return this.armed.size;
  }

  close(): void {
    this.closed = true;
    for (const armed of this.armed.values()) clearTimeout(armed.timer);
    this.armed.clear();
  }

  private schedule(workspaceId: string, id: string, expiresAtMs: number, delayMs: number): void {
    const key = keyOf(workspaceId, id);
    const previous = this.armed.get(key);
    if (previous) clearTimeout(previous.timer);
    const delay = Math.max(0, delayMs);
    // A deadline beyond the timer limit is reached in hops; each hop re-measures against the clock.
    const hop = delay > MAX_TIMER_DELAY_MS;
    const timer = setTimeout(
      () => {
        if (this.armed.get(key)?.timer !== timer) return;
        this.armed.delete(key);
        if (hop) this.schedule(workspaceId, id, expiresAtMs, expiresAtMs - this.now());
        else void this.fire(workspaceId, id, expiresAtMs);
      },
      hop ? MAX_TIMER_DELAY_MS : delay,
    );
    timer.unref();
    this.armed.set(key, { timer, workspaceId, id, expiresAtMs });
  }

  private async fire(workspaceId: string, id: string, expiresAtMs: number): Promise<void> {
    try {
      const outcome = await this.options.expire(workspaceId, id);
      if (!outcome.done) this.arm(workspaceId, id, outcome.expiresAt);
    } catch (error) {
      this.options.log.error({ err: error, approvalId: id }, "expiring an approval failed; retrying");
      if (!this.closed) this.schedule(workspaceId, id, expiresAtMs, RETRY_AFTER_ERROR_MS);
    }
  }
}

function keyOf(workspaceId: string, id: string): string {
  return `${workspaceId}\u0000${id}`;
}
