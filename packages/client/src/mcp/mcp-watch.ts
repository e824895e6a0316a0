import type { McpServerStatus } from "@agentboard/protocol";
import type { ListFeed, ListWatchOutage } from "../realtime/list-watch.js";

/** Every server as it is now: on (re)subscribing and after each change. */
type McpServersList = { kind: "servers"; servers: McpServerStatus[] };
export type McpWatchSignal = McpServersList | ListWatchOutage;

/** What `board.mcp.watch()` returns. */
export interface McpWatch {
  close(): Promise<void>;
}

/** The gateway's upstream servers: `subscribe_mcp`, then one `mcp_server` frame per changed server. */
export const mcpServersFeed: ListFeed<McpServerStatus, McpServersList> = {
  changes: "mcp_server",
  tag: "m",
  subscribeFrame: (id) => ({ type: "subscribe_mcp", id }),
  listIn: (message, id) =>
    message.type === "subscribed_mcp" && message.id === id ? message.servers : undefined,
  changeIn: (message) =>
    message.type === "mcp_server" ? { key: message.server.name, item: message.server } : undefined,
  keyOf: (server) => server.name,
  listSignal: (servers) => ({ kind: "servers", servers }),
};
