import {
  AgentboardError,
  applyDashboardPatch,
  applyJsonPatch,
  type ClientMessage,
  type DashboardState,
  type JsonPatchOp,
  type ServerMessage,
} from "@agentboard/protocol";
import { isTransientCode } from "../errors.js";
import {
  asAgentboardError,
  LocalEdits,
  type PendingMutation,
  type QueuedMutation,
  type SyncConflict,
} from "./local-edits.js";

export type { PendingMutation, SyncConflict } from "./local-edits.js";

export type SubscribeMessage = Extract<ClientMessage, { type: "subscribe" }>;
export type PatchMessage = Extract<ClientMessage, { type: "patch" }>;
export type AckMessage = Extract<ServerMessage, { type: "ack" }>;
export type NackMessage = Extract<ServerMessage, { type: "nack" }>;
export type RemotePatchMessage = Extract<ServerMessage, { type: "patch" }>;

/** How often one edit is rebased and resent after `conflict` nacks before it is given up. */
export const DEFAULT_MAX_REBASES = 20;

/** What the transport must do after the engine took in a message. */
export interface EngineEffects {
  /** The optimistic state, the rev or the pending list changed. */
  changed: boolean;
  /** Edits dropped by this step, in queue order. */
  conflicts: SyncConflict[];
  /** Revs arrived out of order, or the local base is unusable: reconnect and resubscribe. */
  resync: boolean;
  /** A transient nack parked the head edit: call `releaseHold()` after a backoff. */
  retryLater: boolean;
}

export interface ReplicaEngineOptions {
  dashboardId: string;
  clientId: string;
  maxRebases?: number;
  /**
   * Put in front of every request id (`r3.`): replicas sharing a socket tell their answers apart by it.
   * Default none.
   */
  requestIdPrefix?: string;
  /**
   * A state the server had at `rev` (a cached copy, already validated). The engine starts from it as if it
   * had been confirmed: edits apply and queue at once, and the first subscribe asks for what came after
   * `rev`. It is only trusted as a base for the catch-up; the engine is not live until the server answered.
   */
  initial?: { rev: number; state: DashboardState };
}

function noEffects(): EngineEffects {
  return { changed: false, conflicts: [], resync: false, retryLater: false };
}

/**
 * The replica of one dashboard, without I/O or timers: a confirmed state S at rev R (exactly the server's
 * state at R), an ordered queue of local edits, and the optimistic view S + queue. The transport feeds it
 * server frames and sends what `nextToSend()` returns; every decision about revs, acks, conflicts and
 * rebases is made here, so it can be tested with scripted frame sequences.
 *
 * One edit is in flight at a time, always the head, always with `baseRev = R`. The server answers it in
 * stream position (every patch below the ack's rev arrived first), so an ack at R + 1 means the new S is
 * S + head, the state the optimistic view already showed.
 */
export class ReplicaEngine {
  readonly dashboardId: string;
  readonly clientId: string;
  private readonly maxRebases: number;
  private readonly requestIdPrefix: string;
  private confirmed: DashboardState | undefined;
  private confirmedRev = 0;
  private readonly edits: LocalEdits;
  private inFlight: { requestId: string; mutationId: string; baseRev: number } | undefined;
  /** The server's rev when it answered our subscribe; we are caught up once R reaches it. */
  private subscribedRev: number | undefined;
  private live = false;
  /** S can no longer be patched (diverged, or the server went back in time): only a snapshot helps. */
  private needsSnapshot = false;
  private requestCounter = 0;

  constructor(options: ReplicaEngineOptions) {
    this.dashboardId = options.dashboardId;
    this.clientId = options.clientId;
    this.maxRebases = options.maxRebases ?? DEFAULT_MAX_REBASES;
    this.requestIdPrefix = options.requestIdPrefix ?? "";
    this.edits = new LocalEdits(options.dashboardId, options.clientId, options.initial?.state);
    if (options.initial) {
      this.confirmed = options.initial.state;
      this.confirmedRev = options.initial.rev;
    }
  }

  /**
   * The optimistic state (S + pending edits); undefined before the first snapshot,
   * unless started from `initial`.
   */
  get state(): DashboardState | undefined {
    return this.edits.view;
  }

  /** The server-confirmed state S at `rev`. */
  get confirmedState(): DashboardState | undefined {
    return this.confirmed;
  }

  /** R: the rev of the confirmed state. */
  get rev(): number {
    return this.confirmedRev;
  }

  get pending(): readonly PendingMutation[] {
    return this.edits.pending;
  }

  get pendingCount(): number {
    return this.edits.count;
  }

  /** The request id of the patch awaiting its answer, if any. */
  get inFlightRequestId(): string | undefined {
    return this.inFlight?.requestId;
  }

  /** Subscribed and caught up with the server: edits are being sent. */
  get isLive(): boolean {
    return this.live;
  }

  /**
   * Queues a local edit and applies it to the optimistic view. Validates first against the view (paths,
   * values, resulting state) and throws the protocol's typed error with nothing queued.
   */
  apply(ops: readonly JsonPatchOp[]): string {
    return this.edits.add(ops);
  }

  /**
   * The subscribe frame for a fresh connection: `sinceRev` whenever S is known (from a snapshot, a catch-up or
   * `initial`) and still usable.
   */
  subscribeMessage(): SubscribeMessage {
    const message: SubscribeMessage = {
      type: "subscribe",
      id: this.nextRequestId("s"),
      dashboardId: this.dashboardId,
    };
    if (this.confirmed && !this.needsSnapshot) message.sinceRev = this.confirmedRev;
    return message;
  }

  onSubscribed(rev: number): EngineEffects {
    const effects = noEffects();
    // The server's document is older than our base (restored backup, wiped data dir, or a cached `initial`
    // from before a reset): S belongs to another history and cannot be patched up. The server answers such
    // a sinceRev with a snapshot; pending edits are then judged against it like any offline edit.
    if (this.confirmed && rev < this.confirmedRev) this.needsSnapshot = true;
    this.subscribedRev = rev;
    this.checkLive(effects);
    return effects;
  }

  onSnapshot(rev: number, state: DashboardState): EngineEffects {
    const effects = noEffects();
    this.confirmed = state;
    this.confirmedRev = rev;
    this.needsSnapshot = false;
    return this.confirmedChanged(effects);
  }

  /** S moved (a snapshot or a remote patch): the view is recomputed on top of it, and may now be live. */
  private confirmedChanged(effects: EngineEffects): EngineEffects {
    this.recompute(effects);
    effects.changed = true;
    this.checkLive(effects);
    return effects;
  }

  onRemotePatch(message: Pick<RemotePatchMessage, "rev" | "ops" | "origin">): EngineEffects {
    const effects = noEffects();
    if (!this.confirmed) return effects;
    if (this.needsSnapshot) {
      // A patch where the promised snapshot should be: ask again from scratch.
      if (this.subscribedRev !== undefined) effects.resync = true;
      return effects;
    }
    if (message.rev <= this.confirmedRev) return effects;
    if (message.rev > this.confirmedRev + 1) {
      effects.resync = true;
      return effects;
    }
    // The server validated this patch; re-validating would only make us refuse its state.
    let next: DashboardState;
    try {
      next = applyJsonPatch(this.confirmed, message.ops);
    } catch {
      this.needsSnapshot = true;
      effects.resync = true;
      return effects;
    }
    this.confirmed = next;
    this.confirmedRev = message.rev;
    // Our own edit, committed through an earlier connection whose ack we never got: it is in S now.
    if (message.origin.clientId === this.clientId && message.origin.mutationId) {
      this.forget(message.origin.mutationId);
    }
    return this.confirmedChanged(effects);
  }

  onAck(message: Pick<AckMessage, "id" | "rev" | "serverOps">): EngineEffects {
    const effects = noEffects();
    const head = this.takeAnswered(message.id);
    if (!head) return effects;
    if (message.rev <= this.confirmedRev) {
      // A replay of an edit committed earlier: its patch is already part of S.
      this.edits.shift();
      this.recompute(effects);
      effects.changed = true;
      return effects;
    }
    if (message.rev > this.confirmedRev + 1) {
      // Patches before our commit are missing. The head stays: after the catch-up its own patch (origin
      // = us) or a replay ack settles it.
      effects.resync = true;
      return effects;
    }
    this.edits.shift();
    // The server stamps widgets it saw changed (updatedBy/updatedAt are its own): S is the edit plus those.
    const serverOps = message.serverOps ?? [];
    let next: DashboardState;
    try {
      next = head.after ?? applyJsonPatch(this.confirmed!, head.ops);
      if (serverOps.length > 0) next = applyJsonPatch(next, serverOps);
    } catch {
      this.needsSnapshot = true;
      effects.resync = true;
      this.recompute(effects);
      effects.changed = true;
      return effects;
    }
    this.confirmed = next;
    this.confirmedRev = message.rev;
    // The rest of the queue was computed on top of `head.after`, so the view is unchanged unless the server
    // added ops of its own.
    if (!head.after || serverOps.length > 0) this.recompute(effects);
    effects.changed = true;
    return effects;
  }

  onNack(message: Pick<NackMessage, "id" | "error" | "message" | "rev" | "paths">): EngineEffects {
    const effects = noEffects();
    const sentBaseRev = this.inFlight?.baseRev ?? this.confirmedRev;
    const head = this.takeAnswered(message.id);
    if (!head) return effects;
    if (isTransientCode(message.error)) {
      head.held = true;
      effects.retryLater = true;
      return effects;
    }
    // The server checks replays before anything else, so a nack is definite: this edit is not committed.
    head.unanswered = false;
    const details = { rev: message.rev, paths: message.paths };
    if (message.error !== "conflict") {
      this.drop(head, new AgentboardError(message.error, message.message, details), effects);
      return effects;
    }
    if (message.rev !== undefined && (message.rev > this.confirmedRev || message.rev < sentBaseRev)) {
      // A conflict is sent after every patch up to its rev, so a higher rev means frames were lost. A rev
      // below the base we sent means the server is behind us (it went back in time): only a snapshot helps.
      if (message.rev < sentBaseRev) this.needsSnapshot = true;
      effects.resync = true;
      return effects;
    }
    head.rebases += 1;
    if (head.rebases > this.maxRebases) {
      const error = new AgentboardError(
        "conflict",
        `gave up after ${this.maxRebases} rebases: ${message.message}`,
        details,
      );
      this.drop(head, error, effects);
      return effects;
    }
    // Client-side rebase: the edit is resent on top of the new S if it still applies there. It keeps its
    // mutationId: the nack proves it was never committed, and one id per edit is what makes a resend that
    // races a lost ack idempotent.
    try {
      applyDashboardPatch(this.confirmed!, head.ops);
    } catch (error) {
      const reason = asAgentboardError(error);
      const conflict = new AgentboardError(
        "conflict",
        `${message.message}; the edit no longer applies: ${reason.message}`,
        details,
        { cause: reason },
      );
      this.drop(head, conflict, effects);
      return effects;
    }
    this.recompute(effects);
    effects.changed = true;
    return effects;
  }

  /** The connection closed: nothing is in flight any more, and a catch-up is needed before sending. */
  onDisconnect(): void {
    this.live = false;
    this.subscribedRev = undefined;
    this.inFlight = undefined;
    this.edits.releaseHolds();
  }

  /** Ends the wait a transient nack asked for. */
  releaseHold(): void {
    const head = this.edits.head;
    if (head) head.held = false;
  }

  /** The patch frame to send now, or undefined (not live, one already in flight, nothing pending, held). */
  nextToSend(): PatchMessage | undefined {
    if (!this.live || this.inFlight || this.needsSnapshot) return undefined;
    const head = this.edits.head;
    if (!head || head.held) return undefined;
    const id = this.nextRequestId("p");
    this.inFlight = { requestId: id, mutationId: head.mutationId, baseRev: this.confirmedRev };
    head.unanswered = true;
    return {
      type: "patch",
      id,
      dashboardId: this.dashboardId,
      baseRev: this.confirmedRev,
      ops: [...head.ops],
      clientId: this.clientId,
      mutationId: head.mutationId,
    };
  }

  /** The head edit if `requestId` answers the send in flight; clears the in-flight slot. */
  private takeAnswered(requestId: string): QueuedMutation | undefined {
    // Answers to sends we no longer track (a replay of an edit its own patch already settled) are ignored.
    if (!this.inFlight || this.inFlight.requestId !== requestId) return undefined;
    const { mutationId } = this.inFlight;
    this.inFlight = undefined;
    const head = this.edits.head;
    return head?.mutationId === mutationId ? head : undefined;
  }

  private forget(mutationId: string): void {
    this.edits.forget(mutationId);
    if (this.inFlight?.mutationId === mutationId) this.inFlight = undefined;
  }

  private drop(mutation: QueuedMutation, error: AgentboardError, effects: EngineEffects): void {
    this.forget(mutation.mutationId);
    effects.conflicts.push({ mutationId: mutation.mutationId, ops: mutation.ops, error });
    this.recompute(effects);
    effects.changed = true;
  }

  /** Rebuilds the view as S + queue; edits are judged (and dropped when they no longer apply) once live. */
  private recompute(effects: EngineEffects): void {
    effects.conflicts.push(...this.edits.rebuild(this.confirmed, this.live));
  }

  private checkLive(effects: EngineEffects): void {
    if (
      !this.live &&
      this.confirmed &&
      !this.needsSnapshot &&
      this.subscribedRev !== undefined &&
      this.confirmedRev >= this.subscribedRev
    ) {
      this.live = true;
      this.recompute(effects);
      effects.changed = true;
    }
  }

  private nextRequestId(prefix: string): string {
    return `${this.requestIdPrefix}${prefix}${++this.requestCounter}`;
  }
}
