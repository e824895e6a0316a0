import type { Approval } from "@agentboard/protocol";
import { notFound, unavailable } from "../errors/agentboard-errors.js";

export interface WaitOptions {
  /** Resolve with the still-pending approval after this long. Required: every wait ends. */
  timeoutMs: number;
  signal?: AbortSignal;
}

interface Waiter {
  /** A transition was committed: resolve if it left `pending`. */
  deliver(approval: Approval): void;
  /** Resolve now with what is known (timeout, shutdown). */
  release(): void;
}

/**
 * In-process waiters for approval decisions, keyed by (workspace, approval id). Each waiter is a promise
 * that holds its value, so a decision delivered before anyone awaits it is not lost. `wait` registers
 * first and reads the row second: a decision committed before the registration is seen by the read, one
 * committed after it is delivered by `notify`, so there is no window in which a decision goes unseen.
 *
 * Fed by the approval service from the bus (`notify`): this node's transitions and, in cluster mode, the
 * other nodes'. When the cluster bus may have lost events, `recheck` re-reads what is waited for. Every path
 * out of a wait (decision, timeout, abort, shutdown, read failure) removes the waiter, its timer and its
 * abort listener.
 */
export class WaiterRegistry {
  private readonly waiters = new Map<string, { workspaceId: string; id: string; set: Set<Waiter> }>();
  private count = 0;
  private closed = false;

  constructor(private readonly read: (workspaceId: string, id: string) => Promise<Approval | null>) {}

  /**
   * Resolves with the approval once it is no longer pending, or with the still-pending approval when
   * `timeoutMs` passes; rejects with `not_found`, with the signal's reason on abort, or with the read error.
   */
  wait(workspaceId: string, id: string, options: WaitOptions): Promise<Approval> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.closed) return Promise.reject(unavailable("the server is shutting down; wait again shortly"));
    const key = keyOf(workspaceId, id);

    return new Promise<Approval>((resolve, reject) => {
      let settled = false;
      /** The last pending state read; what a timeout answers with. */
      let latest: Approval | undefined;
      /** A timeout (or shutdown) came before the first read finished: answer with the read's result. */
      let releaseWhenRead = false;

      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.remove(key, waiter);
        settle();
      };
      const onAbort = () => finish(() => reject(signal?.reason));
      const waiter: Waiter = {
        deliver: (approval) => {
          if (approval.status !== "pending") finish(() => resolve(approval));
        },
        release: () => {
          if (latest) {
            const answer = latest;
            finish(() => resolve(answer));
          } else releaseWhenRead = true;
        },
      };

      // Subscribe first…
      this.add(workspaceId, id, waiter);
      const timer = setTimeout(waiter.release, options.timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });

      // …then read: whichever says "decided" first wins; `finish` ignores the later one.
      this.read(workspaceId, id).then(
        (approval) => {
          if (!approval) finish(() => reject(notFound(`no approval "${id}" in this workspace`)));
          else if (approval.status !== "pending" || releaseWhenRead) finish(() => resolve(approval));
          else latest = approval;
        },
        (error: unknown) => finish(() => reject(error)),
      );
    });
  }

  /** A committed transition (from this node or, in cluster mode, another): wakes its waiters. */
  notify(approval: Approval): void {
    if (approval.status === "pending") return;
    const entry = this.waiters.get(keyOf(approval.workspaceId, approval.id));
    if (!entry) return;
    for (const waiter of [...entry.set]) waiter.deliver(approval);
  }

  /**
   * Re-reads every approval someone waits for and delivers it: after events may have been lost (the cluster
   * bus reconnected), a decision committed meanwhile still ends its waits. Read failures are left to the
   * waits' own timeouts.
   */
  async recheck(): Promise<void> {
    await Promise.allSettled(
      [...this.waiters.values()].map(async ({ workspaceId, id }) => {
        const approval = await this.read(workspaceId, id);
        if (approval) this.notify(approval);
      }),
    );
  }

  /**
   * Shutdown: answers every waiter with what it knows (the pending approval, as at a timeout) so open
   * long-polls end and their clients retry against the next server; new waits are refused.
   */
  releaseAll(): void {
    this.closed = true;
    for (const { set } of [...this.waiters.values()]) for (const waiter of [...set]) waiter.release();
  }

  /** Waiters currently registered (leak checks). */
  get size(): number {
    return this.count;
  }

  private add(workspaceId: string, id: string, waiter: Waiter): void {
    const key = keyOf(workspaceId, id);
    let entry = this.waiters.get(key);
    if (!entry) {
      entry = { workspaceId, id, set: new Set() };
      this.waiters.set(key, entry);
    }
    entry.set.add(waiter);
    this.count++;
  }

  private remove(key: string, waiter: Waiter): void {
    const entry = this.waiters.get(key);
    if (!entry?.set.delete(waiter)) return;
    this.count--;
    if (entry.set.size === 0) this.waiters.delete(key);
  }
}

function keyOf(workspaceId: string, id: string): string {
  return `${workspaceId}\u0000${id}`;
}
