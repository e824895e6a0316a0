import type { AgentboardError, ClientMessage, ServerMessage } from "@agentboard/protocol";
import type { BoardRealtime } from "./board-realtime.js";
import type { RealtimeLink, RealtimeSubscriber } from "./realtime-lane.js";

/** What a list watch tells its listener besides the list itself. */
export type ListWatchOutage =
  /** The socket dropped; a reconnect is under way and brings a fresh list. */
  | { kind: "down" }
  /** The server refused the credentials; the watch is over. */
  | { kind: "fatal"; error: AgentboardError };

/**
 * A live keyed list on the board client's realtime connection (MCP servers, the agent directory): a
 * subscribe frame on every (re)connect, whose answer carries the whole list (so nothing is missed while the
 * socket was down), then one frame per changed item. Subclasses say which frames those are; the listener
 * gets the whole list after every change.
 */
export abstract class ListWatch<T> implements RealtimeSubscriber {
  private readonly link: RealtimeLink;
  private subscribeId: string | undefined;
  private requestCounter = 0;
  private items = new Map<string, T>();
  private closed = false;

  constructor(
    realtime: BoardRealtime,
    tagPrefix: string,
    private readonly onClosed: () => void,
  ) {
    this.link = realtime.attach(this, realtime.newTag(tagPrefix));
  }

  /** The subscribe frame with this request id. */
  protected abstract subscribeFrame(id: string): ClientMessage;
  /** The whole list, when `message` answers subscribe request `id`. */
  protected abstract listIn(message: ServerMessage, id: string): T[] | undefined;
  /** One item's change carried by `message`: its key and the item, or `undefined` when it was removed. */
  protected abstract changeIn(message: ServerMessage): { key: string; item: T | undefined } | undefined;
  protected abstract keyOf(item: T): string;
  protected abstract emitList(items: T[]): void;
  protected abstract emitOutage(outage: ListWatchOutage): void;

  onOpen(): void {
    this.subscribeId = `${this.link.tag}s${++this.requestCounter}`;
    this.link.send(this.subscribeFrame(this.subscribeId));
  }

  onMessage(message: ServerMessage): void {
    if (this.closed || this.subscribeId === undefined) return;
    const list = this.listIn(message, this.subscribeId);
    if (list) {
      this.items = new Map(list.map((item) => [this.keyOf(item), item]));
      this.link.markHealthy();
      this.emitList([...this.items.values()]);
      return;
    }
    const change = this.changeIn(message);
    if (!change) return;
    if (change.item === undefined) this.items.delete(change.key);
    else this.items.set(change.key, change.item);
    this.emitList([...this.items.values()]);
  }

  onClose(): void {
    this.subscribeId = undefined;
    if (!this.closed) this.emitOutage({ kind: "down" });
  }

  onFatal(error: AgentboardError): void {
    if (this.closed) return;
    this.emitOutage({ kind: "fatal", error });
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
