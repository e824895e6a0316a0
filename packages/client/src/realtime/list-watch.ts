import type { AgentboardError, ClientMessage, ServerMessage } from "@agentboard/protocol";
import type { BoardRealtime } from "./board-realtime.js";
import type { BroadcastType, RealtimeLink, RealtimeSubscriber } from "./realtime-lane.js";

/** What a list watch tells its listener besides the list itself. */
export type ListWatchOutage =
  /** The socket dropped; a reconnect is under way and brings a fresh list. */
  | { kind: "down" }
  /** The server refused the credentials; the watch is over. */
  | { kind: "fatal"; error: AgentboardError };

/**
 * The frames that carry one live keyed list (MCP servers, the agent directory): a subscribe frame whose
 * answer holds the whole list, then one frame per changed item; and the listener's signal for the list.
 */
export interface ListFeed<T, S> {
  /** Tag prefix of this feed's subscribers on the shared connection. */
  readonly tag: string;
  /** The broadcast frame that carries one item's change. */
  readonly changes: BroadcastType;
  /** The subscribe frame with this request id. */
  subscribeFrame(id: string): ClientMessage;
  /** The whole list, when `message` answers subscribe request `id`. */
  listIn(message: ServerMessage, id: string): T[] | undefined;
  /** One item's change carried by `message`: its key and the item, or `undefined` when it was removed. */
  changeIn(message: ServerMessage): { key: string; item: T | undefined } | undefined;
  keyOf(item: T): string;
  /** What the listener gets: the whole list after every change. */
  listSignal(items: T[]): S;
}

/**
 * Follows one ListFeed on the board client's realtime connection: the subscribe frame on every (re)connect,
 * whose answer carries the whole list (so nothing is missed while the socket was down), then the changes.
 */
export class ListWatch<T, S> implements RealtimeSubscriber {
  readonly broadcasts: readonly BroadcastType[];
  private readonly link: RealtimeLink;
  private subscribeId: string | undefined;
  private requestCounter = 0;
  private items = new Map<string, T>();
  private closed = false;

  constructor(
    realtime: BoardRealtime,
    private readonly feed: ListFeed<T, S>,
    private readonly listener: (signal: S | ListWatchOutage) => void,
    private readonly onClosed: () => void,
  ) {
    this.broadcasts = [feed.changes];
    this.link = realtime.attach(this, realtime.newTag(feed.tag));
  }

  onOpen(): void {
    this.subscribeId = `${this.link.tag}s${++this.requestCounter}`;
    this.link.send(this.feed.subscribeFrame(this.subscribeId));
  }

  onMessage(message: ServerMessage): void {
    if (this.closed || this.subscribeId === undefined) return;
    const list = this.feed.listIn(message, this.subscribeId);
    if (list) {
      this.items = new Map(list.map((item) => [this.feed.keyOf(item), item]));
      this.link.markHealthy();
      this.listener(this.feed.listSignal([...this.items.values()]));
      return;
    }
    const change = this.feed.changeIn(message);
    if (!change) return;
    if (change.item === undefined) this.items.delete(change.key);
    else this.items.set(change.key, change.item);
    this.listener(this.feed.listSignal([...this.items.values()]));
  }

  onClose(): void {
    this.subscribeId = undefined;
    if (!this.closed) this.listener({ kind: "down" });
  }

  onFatal(error: AgentboardError): void {
    if (this.closed) return;
    this.listener({ kind: "fatal", error });
    void this.close();
  }

  onError(): void {
    // Reconnects are the connection's business; the listener hears of outages from "down".
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.onClosed();
    // The protocol has no unsubscribe for these frames: on a socket others still use they are dropped here.
    await this.link.detach();
  }
}
