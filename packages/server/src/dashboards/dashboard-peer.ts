import type { JsonPatchOp, ServerMessage } from "@agentboard/protocol";
import { principalRef } from "../auth/principal.js";
import type { Connection } from "../realtime/connection.js";
import type { DashboardKey } from "./dashboard-store.js";
import type { DashboardChangeEvent } from "./dashboard-topics.js";

/** One dashboard a connection follows. Live events are buffered while a catch-up is in flight. */
export interface Subscription {
  key: DashboardKey;
  /** The id the client subscribed with (`me`, `user:…`, a slug): frames carry it back unchanged. */
  alias: string;
  /** Highest rev this client has been brought to (-1: not yet). */
  lastRev: number;
  ready: boolean;
  buffer: DashboardChangeEvent[];
}

/** What a commit tells its writer: the rev, and with a change event the ops the server added to the write. */
type Committed = { rev: number } & Partial<Pick<DashboardChangeEvent, "ops" | "serverOpsFrom">>;

/**
 * What the dashboard channel keeps about one connection: the dashboards it follows and its writes still
 * waiting for their ack. Each write is acked exactly once, through `ack`, by whichever path reaches it first
 * (in stream order, at once for a writer that does not follow the document, or after the write returned).
 */
export class DashboardPeer {
  /** Subscriptions by document (dashboard-channel.ts `keyString`). */
  readonly subscriptions = new Map<string, Subscription>();
  /** Patch requests whose ack has not been sent yet: request id → the dashboard id the request named. */
  readonly unacked = new Map<string, string>();
  readonly id: string;
  /** `<kind>:<id>` of the connection's principal, made once (fan-out compares it with each change's origin). */
  readonly principalRef: string;

  constructor(readonly connection: Connection) {
    this.id = connection.id;
    this.principalRef = principalRef(connection.principal);
  }

  /**
   * Sends the ack of `requestId` unless it went out already. `dashboardId`: the id the ack names (the one the
   * request named, unless the ack takes the place of a change in a subscription's stream: then its alias).
   */
  ack(requestId: string, committed: Committed, dashboardId?: string): void {
    const requested = this.unacked.get(requestId);
    if (requested === undefined) return;
    this.unacked.delete(requestId);
    this.connection.send(ackOf(committed, requestId, dashboardId ?? requested));
  }
}

/**
 * The writer's ack of a committed change. Ops the server added to the write (widget attribution) go with
 * it: the writer's replica applied only its own ops and needs these to hold the committed state.
 */
function ackOf(committed: Committed, requestId: string, dashboardId: string): ServerMessage {
  const { serverOpsFrom, ops } = committed;
  const serverOps: JsonPatchOp[] | undefined =
    serverOpsFrom === undefined ? undefined : ops?.slice(serverOpsFrom);
  return {
    type: "ack",
    id: requestId,
    dashboardId,
    rev: committed.rev,
    ...(serverOps === undefined ? {} : { serverOps }),
  };
}
