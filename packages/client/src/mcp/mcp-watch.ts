import type { AgentboardError, McpServerStatus, ServerMessage } from "@agentboard/protocol";
import type { BoardRealtime } from "../realtime/board-realtime.js";
import type { RealtimeLink, RealtimeSubscriber } from "../realtime/realtime-lane.js";

export type McpWatchSignal =
  /** Every server as it is now: on (re)subscribing and after each change. */
  | { kind: "servers"; servers: McpServerStatus[] }
  /** The socket dropped; a reconnect is under way and brings a fresh list. */
  | { kind: "down" }
  /** The server refused the credentials; the watch is over. */
  | { kind: "fatal"; error: AgentboardError };

/** What `board.mcp.watch()` returns. */
export interface McpWatch {
  close(): Promise<void>;
}

/**
 * Follows the gateway's upstream servers on the board client's realtime connection: `subscribe_mcp` on every
 * (re)connect (its answer carries the full list, so nothing is missed while the socket was down), then each
 * `mcp_server` frame updates one server. The listener gets the whole list every time.
 */
export class McpServerWatch implements RealtimeSubscriber, McpWatch {
  readonly mcp = true;
  private readonly link: RealtimeLink;
  private subscribeId: string | undefined;
  private requestCounter = 0;
  private servers = new Map<string, McpServerStatus>();
  private closed = false;

  constructor(
    realtime: BoardRealtime,
    private readonly listener: (signal: McpWatchSignal) => void,
    private readonly onClosed: () => void = () => {},
  ) {
    this.link = realtime.attach(this, realtime.newTag("m"));
  }

  onOpen(): void {
    this.subscribeId = `${this.link.tag}s${++this.requestCounter}`;
    this.link.send({ type: "subscribe_mcp", id: this.subscribeId });
  }

  onMessage(message: ServerMessage): void {
    if (this.closed) return;
    if (message.type === "subscribed_mcp" && message.id === this.subscribeId) {
      this.servers = new Map(message.servers.map((server) => [server.name, server]));
      this.link.markHealthy();
      this.emit();
    } else if (message.type === "mcp_server" && this.subscribeId !== undefined) {
      this.servers.set(message.server.name, message.server);
      this.emit();
    }
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
    // The protocol has no unsubscribe for MCP frames: on a socket others still use they are dropped here.
    await this.link.detach();
  }

  private emit(): void {
    this.listener({ kind: "servers", servers: [...this.servers.values()] });
  }
}
