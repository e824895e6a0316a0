import { CLOSE_CODES } from "@agentboard/protocol";
import type { RealtimeLog } from "../realtime/realtime-hub.js";
import type { DashboardPeer, Subscription } from "./dashboard-peer.js";
import type { DashboardService } from "./dashboard-service.js";
import type { DashboardKey } from "./dashboard-store.js";
import type { DashboardChangeEvent } from "./dashboard-topics.js";
import { PatchFrames } from "./patch-frames.js";

/** A subscription buffering more than this during one catch-up is told to resync instead of growing memory. */
export const MAX_BUFFERED_EVENTS = 10_000;

/** One string per document, for maps (a subscription, an audience). */
export const keyString = (key: DashboardKey) => `${key.workspaceId}\u0000${key.dashboardId}`;

/**
 * Each subscriber's stream of one dashboard: changes strictly in rev order with no gaps (a gap triggers a
 * catch-up from the patch log, live events buffered meanwhile), and the writing connection's ack in the place
 * of the echo of its own change.
 */
export class DashboardStreams {
  private readonly frames = new PatchFrames();

  constructor(
    private readonly dashboards: Pick<DashboardService, "catchUp">,
    private readonly log: RealtimeLog,
  ) {}

  /**
   * Brings a subscription to the current rev: the missed log entries, or one snapshot, then whatever was
   * buffered meanwhile. With `requestId` (a subscribe) the `subscribed` answer goes first.
   */
  async catchUp(
    peer: DashboardPeer,
    subscription: Subscription,
    sinceRev: number | undefined,
    requestId?: string,
  ): Promise<void> {
    const result = await this.dashboards.catchUp(subscription.key, sinceRev);
    const { connection } = peer;
    // Closed meanwhile, or subscribed again (the newer subscription has its own catch-up): stop.
    if (connection.closed || peer.subscriptions.get(keyString(subscription.key)) !== subscription) return;
    const dashboardId = subscription.alias;
    if (result.kind === "snapshot") {
      const { rev, state } = result.document;
      subscription.lastRev = rev;
      if (requestId) connection.send({ type: "subscribed", id: requestId, dashboardId, rev });
      connection.send({ type: "snapshot", dashboardId, rev, state });
    } else {
      const from = sinceRev ?? subscription.lastRev;
      const lastRev = result.entries.at(-1)?.rev ?? from;
      if (requestId) connection.send({ type: "subscribed", id: requestId, dashboardId, rev: lastRev });
      subscription.lastRev = from;
      // A change also buffered live carries the connection that wrote it (the log does not): sending that
      // one gives the writer its ack instead of an echo when a gap catch-up covers its own write.
      const live = new Map(subscription.buffer.map((event) => [event.rev, event]));
      for (const entry of result.entries)
        this.sendChange(peer, subscription, live.get(entry.rev) ?? { key: subscription.key, ...entry });
    }
    const buffered = subscription.buffer;
    subscription.buffer = [];
    subscription.ready = true;
    for (const event of buffered) this.deliver(peer, subscription, event);
  }

  /**
   * Catches a caught-up subscription up again from its rev, as after a gap (cluster mode: the bus may have
   * lost events). One that fails asks the client to reconnect and resync.
   */
  restart(peer: DashboardPeer, subscription: Subscription, why: string): void {
    subscription.ready = false;
    void this.catchUp(peer, subscription, subscription.lastRev).catch((error: unknown) => {
      this.log.warn({ err: error }, `${why} failed; asking the client to resync`);
      peer.connection.close(CLOSE_CODES.resyncRequired, "resync");
    });
  }

  /** One live change to one subscriber: sent in order, buffered during a catch-up, or a gap filled first. */
  deliver(peer: DashboardPeer, subscription: Subscription, event: DashboardChangeEvent): void {
    if (!subscription.ready) {
      subscription.buffer.push(event);
      if (subscription.buffer.length > MAX_BUFFERED_EVENTS) {
        peer.connection.close(CLOSE_CODES.resyncRequired, "too far behind: reconnect and resync");
      }
      return;
    }
    if (event.rev <= subscription.lastRev) {
      // Already sent, inside a snapshot or the log: the writer still needs its ack, here in stream order.
      const { connectionId, requestId } = event.origin;
      if (connectionId === peer.id && requestId) peer.ack(requestId, event, subscription.alias);
      return;
    }
    if (event.rev > subscription.lastRev + 1) {
      // Missed revs (possible across nodes): fetch them from the log before going on.
      subscription.buffer.push(event);
      this.restart(peer, subscription, "catch-up after a gap");
      return;
    }
    this.sendChange(peer, subscription, event);
  }

  /** Sends one change that is exactly lastRev + 1; the writing connection gets its ack here instead. */
  private sendChange(peer: DashboardPeer, subscription: Subscription, event: DashboardChangeEvent): void {
    if (event.rev !== subscription.lastRev + 1) return;
    subscription.lastRev = event.rev;
    const { origin } = event;
    if (origin.connectionId === peer.id && origin.requestId) {
      peer.ack(origin.requestId, event, subscription.alias);
      return;
    }
    peer.connection.sendEncoded(
      this.frames.of(event, subscription.alias, origin.principal === peer.principalRef),
    );
  }
}
