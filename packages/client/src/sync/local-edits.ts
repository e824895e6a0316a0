import {
  AgentboardError,
  applyDashboardPatch,
  type DashboardState,
  type JsonPatchOp,
  StateValidationError,
} from "@agentboard/protocol";
import { SyncNotReadyError } from "./sync-errors.js";

/** A local edit the server has not confirmed yet. */
export interface PendingMutation {
  readonly mutationId: string;
  readonly ops: readonly JsonPatchOp[];
}

/** A local edit that was dropped: it no longer applies, the server refused it, or it lost too many races. */
export interface SyncConflict {
  readonly mutationId: string;
  readonly ops: readonly JsonPatchOp[];
  readonly error: AgentboardError;
}

export interface QueuedMutation {
  readonly mutationId: string;
  readonly ops: readonly JsonPatchOp[];
  rebases: number;
  /**
   * Sent at least once without a definite answer (the connection dropped, or it is in flight): it may be
   * committed already, so only the server's answer may drop it, never a failed local re-apply.
   */
  unanswered: boolean;
  /** Parked by a transient nack until `releaseHold()`. */
  held: boolean;
  /** The optimistic state right after this edit; undefined while its ops do not apply (unanswered only). */
  after: DashboardState | undefined;
}

export function asAgentboardError(error: unknown): AgentboardError {
  if (AgentboardError.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AgentboardError("invalid", message, undefined, { cause: error });
}

/**
 * The ordered queue of a replica's local edits and the optimistic view they make on top of the confirmed
 * state. It knows nothing of the wire: ReplicaEngine decides when an edit is sent, confirmed or dropped.
 */
export class LocalEdits {
  private queue: QueuedMutation[] = [];
  private optimistic: DashboardState | undefined;
  private mutationCounter = 0;

  constructor(
    private readonly dashboardId: string,
    private readonly clientId: string,
    initialView: DashboardState | undefined,
  ) {
    this.optimistic = initialView;
  }

  /** The confirmed state plus every edit that applies on it; undefined before there is any state. */
  get view(): DashboardState | undefined {
    return this.optimistic;
  }

  get head(): QueuedMutation | undefined {
    return this.queue[0];
  }

  get count(): number {
    return this.queue.length;
  }

  get pending(): readonly PendingMutation[] {
    return this.queue.map(({ mutationId, ops }) => ({ mutationId, ops }));
  }

  /**
   * Queues a local edit and applies it to the view. Validates first against the view (paths, values,
   * resulting state) and throws the protocol's typed error with nothing queued.
   */
  add(ops: readonly JsonPatchOp[]): string {
    if (!this.optimistic) throw new SyncNotReadyError(this.dashboardId);
    // A JSON copy is exactly what goes over the wire, so the optimistic view cannot differ from what the
    // server applies (undefined members, later mutation of the caller's objects).
    let wireOps: JsonPatchOp[];
    try {
      wireOps = JSON.parse(JSON.stringify(ops)) as JsonPatchOp[];
    } catch (error) {
      throw new StateValidationError([{ path: "", message: `not JSON: ${String(error)}` }], "JSON Patch");
    }
    const { state } = applyDashboardPatch(this.optimistic, wireOps);
    const mutationId = `${this.clientId}:${++this.mutationCounter}`;
    this.queue.push({ mutationId, ops: wireOps, rebases: 0, unanswered: false, held: false, after: state });
    this.optimistic = state;
    return mutationId;
  }

  /** Removes the head edit (confirmed). */
  shift(): void {
    this.queue.shift();
  }

  forget(mutationId: string): void {
    this.queue = this.queue.filter((mutation) => mutation.mutationId !== mutationId);
  }

  /** Ends every hold (a fresh connection retries at once). */
  releaseHolds(): void {
    for (const mutation of this.queue) mutation.held = false;
  }

  /**
   * Rebuilds the view as `confirmed` + queue and returns the edits it dropped. An edit that no longer
   * applies is dropped, unless it is unanswered (it may be committed) or `judging` is off (a catch-up is
   * under way): then it only stays out of the view.
   */
  rebuild(confirmed: DashboardState | undefined, judging: boolean): SyncConflict[] {
    const conflicts: SyncConflict[] = [];
    let view = confirmed;
    if (!view) return conflicts;
    const kept: QueuedMutation[] = [];
    for (const mutation of this.queue) {
      try {
        view = applyDashboardPatch(view, mutation.ops).state;
        mutation.after = view;
        kept.push(mutation);
      } catch (error) {
        // During a catch-up S passes through intermediate states (a widget removed, then added again);
        // edits are only judged against the state the server has now, once caught up.
        if (mutation.unanswered || !judging) {
          mutation.after = undefined;
          kept.push(mutation);
        } else {
          conflicts.push({
            mutationId: mutation.mutationId,
            ops: mutation.ops,
            error: asAgentboardError(error),
          });
        }
      }
    }
    this.queue = kept;
    this.optimistic = view;
    return conflicts;
  }
}
