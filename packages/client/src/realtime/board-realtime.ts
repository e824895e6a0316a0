import {
  RealtimeLane,
  type RealtimeLink,
  type RealtimeSettings,
  type RealtimeSubscriber,
} from "./realtime-lane.js";

/**
 * The realtime connection of one board client, carrying every subscription: live replicas (`board.sync`),
 * approval waits and approval feeds share one socket, one ticket per connect, one backoff, one heartbeat and
 * one answer to a 4401. It opens with the first subscriber and closes with the last.
 *
 * The one exception: the server keeps one subscription per document and socket, so a second live replica
 * of a dashboard this client already follows (or `me` next to a `user:…` one, which may be the same) gets a
 * connection of its own — each replica must see the other's writes, which a shared socket would not echo.
 */
export class BoardRealtime {
  private readonly lanes: RealtimeLane[] = [];
  private tagCounter = 0;

  constructor(private readonly settings: RealtimeSettings) {}

  /** A request-id prefix no other subscriber of this client uses (`r1.`, `a2.`). */
  newTag(kind: string): string {
    return `${kind}${++this.tagCounter}.`;
  }

  attach(subscriber: RealtimeSubscriber, tag: string): RealtimeLink {
    let lane = this.lanes.find((candidate) => candidate.canHost(subscriber));
    if (!lane) {
      lane = new RealtimeLane(this.settings, (done) => this.forget(done));
      this.lanes.push(lane);
    }
    return lane.attach(subscriber, tag);
  }

  /** Closes every connection now (board client shutdown); subscribers are expected to be gone already. */
  async close(): Promise<void> {
    const lanes = this.lanes.splice(0);
    await Promise.all(lanes.map((lane) => lane.close()));
  }

  /** A lane that is empty or refused is dropped, so the next subscriber starts a fresh connection. */
  private forget(lane: RealtimeLane): void {
    const index = this.lanes.indexOf(lane);
    if (index >= 0) this.lanes.splice(index, 1);
  }
}
