import type { ClientMessage, McpServerStatus, ServerMessage } from "@agentboard/protocol";
import type { BoardRealtime } from "../realtime/board-realtime.js";
import { ListWatch, type ListWatchOutage } from "../realtime/list-watch.js";

export type McpWatchSignal =
  /** Every server as it is now: on (re)subscribing and after each change. */
  { kind: "servers"; servers: McpServerStatus[] } | ListWatchOutage;

/** What `board.mcp.watch()` returns. */
export interface McpWatch {
  close(): Promise<void>;
}

/** Follows the gateway's upstream servers: `subscribe_mcp`, then one `mcp_server` frame per changed server. */
export class McpServerWatch extends ListWatch<McpServerStatus> implements McpWatch {
  readonly mcp = true;

  constructor(
    realtime: BoardRealtime,
    private readonly listener: (signal: McpWatchSignal) => void,
    onClosed: () => void = () => {},
  ) {
    super(realtime, "m", onClosed);
  }

  protected subscribeFrame(id: string): ClientMessage {
    return { type: "subscribe_mcp", id };
  }

  protected listIn(message: ServerMessage, id: string): McpServerStatus[] | undefined {
    return message.type === "subscribed_mcp" && message.id === id ? message.servers : undefined;
  }

  protected changeIn(message: ServerMessage) {
    return message.type === "mcp_server" ? { key: message.server.name, item: message.server } : undefined;
  }

  protected keyOf(server: McpServerStatus): string {
    return server.name;
  }

  protected emitList(servers: McpServerStatus[]): void {
    this.listener({ kind: "servers", servers });
  }

  protected emitOutage(outage: ListWatchOutage): void {
    this.listener(outage);
  }
}
