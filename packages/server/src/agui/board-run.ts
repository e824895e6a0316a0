import {
  EventType,
  type RunErrorEvent,
  type RunFinishedEvent,
  type RunFinishedOutcome,
  type StateSnapshotEvent,
} from "@ag-ui/core";
import {
  type AguiBoardState,
  type AguiRunErrorCode,
  CLOSE_CODES,
  type JsonPatchOp,
  type ServerMessage,
} from "@agentboard/protocol";
import type { ApprovalService } from "../approvals/approval-service.js";
import type { Principal } from "../auth/principal.js";
import type { RevocationWatch } from "../auth/revocation.js";
import type { RealtimeHub } from "../realtime/realtime-hub.js";
import { mayDecide, pendingInterrupts } from "./approval-interrupts.js";
import type { AguiEventStream } from "./event-stream.js";
import { type LoopbackPeer, LoopbackSocket } from "./loopback-socket.js";
import type { AguiRunRequest } from "./run-input.js";
import { sharedStateDelta, stateDeltaOf } from "./state-deltas.js";

export interface BoardRunOptions {
  hub: RealtimeHub;
  approvals: ApprovalService;
  revocations: RevocationWatch;
  principal: Principal;
  /** When the request's credential was read: revocations announced since then end the run at once. */
  credentialCheckedAt: number;
  /** The dashboard id of the URL (`me`, `user:…`, a slug): the state carries it back. */
  dashboardId: string;
  request: AguiRunRequest;
  /** Interrupts the run's resume set aside (`cancelled`): not raised again by this run. */
  setAside: ReadonlySet<string>;
  stream: AguiEventStream;
  log: { warn(details: object, message: string): void };
  /** Called once, when the run has let go of everything it held. */
  onEnd: () => void;
}

/** Request ids of the two client frames a run sends. */
const BOARD = "agui-board";
const APPROVALS = "agui-approvals";

/** RUN_ERROR code of each way the hub closes a connection. */
function errorCodeOf(closeCode: number): AguiRunErrorCode {
  switch (closeCode) {
    case CLOSE_CODES.unauthorized:
      return "unauthorized";
    case CLOSE_CODES.forbidden:
      return "forbidden";
    case CLOSE_CODES.resyncRequired:
      return "resync_required";
    case CLOSE_CODES.rateLimited:
      return "rate_limited";
    case CLOSE_CODES.goingAway:
    case CLOSE_CODES.heartbeatTimeout:
      return "unavailable";
    default:
      return "internal";
  }
}

/**
 * One AG-UI run after RUN_STARTED: a realtime connection of the hub (loopback-socket.ts) that follows the
 * approvals feed, then the dashboard; its `snapshot` becomes STATE_SNAPSHOT and each `patch` (rev order, no
 * gaps: the dashboard channel sees to that) a STATE_DELTA. Once caught up, the caller's pending approvals end
 * the run as interrupts; without any it follows the board until the client goes (or, with `follow: false`,
 * ends at once), and an approval arriving later ends it then.
 */
export class BoardRun implements LoopbackPeer {
  private readonly socket = new LoopbackSocket(this);
  private unwatch: (() => void) | undefined;
  private rev = -1;
  private approvalsFollowed = false;
  private caughtUp = false;
  private checking = false;
  private checkAgain = false;
  private done = false;

  constructor(private readonly options: BoardRunOptions) {}

  start(): void {
    const { hub, revocations, principal, credentialCheckedAt, dashboardId, request } = this.options;
    const connection = hub.accept(this.socket, principal);
    this.unwatch = revocations.watch(principal, credentialCheckedAt, () =>
      connection.close(CLOSE_CODES.unauthorized, "credentials revoked or changed: sign in again"),
    );
    // Approvals first: subscribe, then read (the first check runs once the board has caught up).
    this.socket.say({ type: "subscribe_approvals", id: APPROVALS });
    this.socket.say({
      type: "subscribe",
      id: BOARD,
      dashboardId,
      ...(request.sinceRev === undefined ? {} : { sinceRev: request.sinceRev }),
    });
  }

  /** The client went away: let go of everything, send nothing. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    this.release();
  }

  frame(data: string | Buffer): void {
    try {
      const shared = typeof data === "string" ? undefined : sharedStateDelta(data);
      if (shared) {
        if (this.done) return;
        this.rev = shared.rev;
        this.options.stream.sendEncoded(shared.sse);
        return;
      }
      this.onMessage(JSON.parse(data.toString()) as ServerMessage);
    } catch (error) {
      this.options.log.warn({ err: error }, "an AG-UI run failed on a realtime frame");
      this.fail("internal", "internal error");
    }
  }

  closed(code: number, reason: string): void {
    this.fail(errorCodeOf(code), reason);
  }

  heartbeat(): void {
    this.options.stream.heartbeat();
  }

  get bufferedBytes(): number {
    return this.options.stream.bufferedBytes;
  }

  private onMessage(message: ServerMessage): void {
    if (this.done) return;
    switch (message.type) {
      case "subscribed_approvals":
        this.approvalsFollowed = true;
        this.whenReady();
        return;
      case "subscribed":
        this.rev = message.rev;
        // The catch-up (a snapshot, or the missed patches, then what was buffered) follows this frame within
        // the same synchronous call of the dashboard channel, so a microtask later the run is caught up.
        queueMicrotask(() => {
          this.caughtUp = true;
          this.whenReady();
        });
        return;
      case "snapshot":
        this.sendSnapshot(message.rev, message.state);
        return;
      case "patch":
        this.sendDelta(message.rev, message.ops);
        return;
      case "approval":
        if (this.caughtUp && this.raises(message.approval)) void this.checkInterrupts();
        return;
      case "error":
        if (message.id === BOARD || message.id === APPROVALS) this.fail(message.error, message.message);
        return;
      default:
        // pong; refresh requests (for a widget's writer: this stream writes nothing).
        return;
    }
  }

  private sendSnapshot(rev: number, state: Omit<AguiBoardState, "dashboardId" | "rev">): void {
    this.rev = rev;
    const snapshot: AguiBoardState = { ...state, dashboardId: this.options.dashboardId, rev };
    this.options.stream.send({ type: EventType.STATE_SNAPSHOT, snapshot } satisfies StateSnapshotEvent);
  }

  private sendDelta(rev: number, ops: JsonPatchOp[]): void {
    this.rev = rev;
    this.options.stream.send(stateDeltaOf(rev, ops));
  }

  private raises(approval: Parameters<typeof mayDecide>[1]): boolean {
    return !this.options.setAside.has(approval.id) && mayDecide(this.options.principal, approval);
  }

  private whenReady(): void {
    if (this.caughtUp && this.approvalsFollowed) void this.checkInterrupts();
  }

  /** Ends the run with the pending approvals as interrupts, if there are any; one check at a time. */
  private async checkInterrupts(): Promise<void> {
    if (this.checking) {
      this.checkAgain = true;
      return;
    }
    this.checking = true;
    const { approvals, principal, setAside, request } = this.options;
    try {
      do {
        this.checkAgain = false;
        const interrupts = await pendingInterrupts(approvals, principal, setAside);
        if (this.done) return;
        if (interrupts.length > 0) {
          this.finish({ type: "interrupt", interrupts });
          return;
        }
      } while (this.checkAgain);
      if (!request.follow) this.finish({ type: "success" });
    } catch (error) {
      this.options.log.warn({ err: error }, "reading the pending approvals of an AG-UI run failed");
      this.fail("unavailable", "the approvals could not be read; run again");
    } finally {
      this.checking = false;
    }
  }

  private finish(outcome: RunFinishedOutcome): void {
    if (this.done) return;
    this.done = true;
    const { threadId, runId } = this.options.request.input;
    this.options.stream.send({
      type: EventType.RUN_FINISHED,
      threadId,
      runId,
      outcome,
      ...(outcome.type === "success" ? { result: { rev: this.rev } } : {}),
    } satisfies RunFinishedEvent);
    this.release();
    this.options.stream.end();
  }

  private fail(code: AguiRunErrorCode, message: string): void {
    if (this.done) return;
    this.done = true;
    this.options.stream.send({ type: EventType.RUN_ERROR, code, message } satisfies RunErrorEvent);
    this.release();
    this.options.stream.end();
  }

  /** Leaves the hub (its channels forget the subscriptions) and the revocation watch. */
  private release(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    this.socket.disconnect();
    this.options.onEnd();
  }
}
