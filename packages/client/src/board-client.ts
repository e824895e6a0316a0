import type {
  DashboardDocument,
  DashboardListItem,
  JsonPatchOp,
  Member,
  Widget,
  WidgetInput,
} from "@agentboard/protocol";
import { type AgentsClient, createAgentsClient } from "./agents/agents-client.js";
import { agentsFeed } from "./agents/agents-watch.js";
import { ApprovalEvents } from "./approvals/approval-events.js";
import { LiveApprovalFeed } from "./approvals/approval-feed.js";
import { type ApprovalsClient, createApprovalsClient } from "./approvals/approvals-client.js";
import { longPollStrategy } from "./approvals/long-poll-strategy.js";
import { realtimeWaitStrategy } from "./approvals/realtime-wait-strategy.js";
import { createMcpClient, type McpClient } from "./mcp/mcp-client.js";
import { mcpServersFeed } from "./mcp/mcp-watch.js";
import { BoardRealtime } from "./realtime/board-realtime.js";
import { ListWatch } from "./realtime/list-watch.js";
import type { WebSocketConstructor } from "./realtime/realtime-connection.js";
import { createRequest, type RequestOptions } from "./request.js";
import { createSyncClient } from "./sync/create-sync-client.js";
import type { SyncClient, SyncOptions } from "./sync/sync-types.js";
import { createTokensClient, type TokensClient } from "./tokens-client.js";

export type { RequestOptions } from "./request.js";

export interface BoardClientOptions {
  /** Base URL of the agentboard server, e.g. http://127.0.0.1:7800 */
  url: string;
  /** An API token (`ab_…`). Browsers may omit it and rely on the session cookie. */
  token?: string;
  /** Per-request timeout; default 30 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /**
   * How `approvals…wait()` learns of decisions: "realtime" (default) listens on the WebSocket and falls back
   * to the long-poll when no socket can be had; "long-poll" uses only `GET /api/approvals/:id/wait`.
   */
  approvalWaits?: "realtime" | "long-poll";
  // The realtime connection, shared by every live replica, approval wait and approval feed of this client.
  /** WebSocket class; default the global one, else (Node 20) the `ws` package. */
  WebSocket?: WebSocketConstructor;
  /** First reconnect step (default 500 ms); steps double up to `maxReconnectDelayMs` (default 10 s). */
  minReconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
  /** An opening socket is given up after this long (default 10 s). */
  connectionTimeoutMs?: number;
  /** Application ping interval (default 25 s); a socket silent for one interval after a ping is replaced. */
  heartbeatIntervalMs?: number;
  /**
   * Patches sent per second at most over the connection, after a burst of as many (default 50: half the
   * server's default per-connection frame rate, leaving room for pings and subscriptions).
   */
  maxPatchesPerSecond?: number;
}

export interface PatchOptions extends RequestOptions {
  clientId?: string;
  mutationId?: string;
}

/** Typed REST client, live sync (`board.sync(id)`) and human approvals (`board.approvals`). */
export interface BoardClient {
  request<T>(method: string, path: string, body?: unknown, options?: RequestOptions): Promise<T>;
  dashboards: {
    /**
     * The dashboards this caller may read (`GET /api/dashboards`): personal ones as `user:<id>` (an agent
     * sees every user's), then shared ones by slug. Each `id` is what the other methods take.
     */
    list(options?: RequestOptions): Promise<DashboardListItem[]>;
    get(id: string, options?: RequestOptions): Promise<DashboardDocument>;
    patch(id: string, baseRev: number, ops: JsonPatchOp[], options?: PatchOptions): Promise<{ rev: number }>;
    put(id: string, baseRev: number, state: unknown, options?: RequestOptions): Promise<{ rev: number }>;
    reset(id: string, options?: RequestOptions): Promise<void>;
    upsertWidget(
      id: string,
      widgetId: string,
      widget: WidgetInput,
      options?: RequestOptions,
    ): Promise<{ rev: number; widget: Widget }>;
    removeWidget(id: string, widgetId: string, options?: RequestOptions): Promise<{ rev: number }>;
  };
  /** Who is in the caller's workspace (`GET /api/members`): users first, then agents. */
  members: {
    list(options?: RequestOptions): Promise<Member[]>;
  };
  /**
   * A live replica of dashboard `id` on the client's realtime connection; `close()` it when done. Throws
   * `invalid` for a bad id, clientId or `initial` (and for connection options, which belong to
   * `createBoardClient`).
   */
  sync(id: string, options?: SyncOptions): SyncClient;
  /** Human approvals: `await (await board.approvals.request({...})).wait()`, and `feed()` for UIs. */
  approvals: ApprovalsClient;
  /** Token counts (`POST /api/tokens/count`): `board.tokens.count({model?, text? | messages?})`. */
  tokens: TokensClient;
  /** The MCP gateway: `board.mcp.tools()`, `board.mcp.call("<server>__<tool>", args)` (gated calls wait for a human). */
  mcp: McpClient;
  /** The agent directory: `board.agents.list()`, `register(cardUrl)`, `update(id, patch)`, and `watch()` live. */
  agents: AgentsClient;
  /**
   * Closes every live replica and approval feed of this client and its realtime connection; resolves once
   * no socket is left. Approval waits in progress carry on over the long-poll.
   */
  close(): Promise<void>;
}

const enc = encodeURIComponent;

export function createBoardClient(options: BoardClientOptions): BoardClient {
  const base = options.url.replace(/\/+$/, "");
  const request = createRequest({
    baseUrl: base,
    token: options.token,
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    timeoutMs: options.timeoutMs ?? 30_000,
  });
  // One realtime connection for everything live; it opens only while something uses it.
  const realtime = new BoardRealtime({
    baseUrl: base,
    fetchTicket: async (signal) =>
      (await request<{ ticket: string }>("POST", "/api/realtime/ticket", undefined, { signal })).ticket,
    WebSocket: options.WebSocket,
    minReconnectDelayMs: options.minReconnectDelayMs ?? 500,
    maxReconnectDelayMs: options.maxReconnectDelayMs ?? 10_000,
    connectionTimeoutMs: options.connectionTimeoutMs ?? 10_000,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 25_000,
    maxPatchesPerSecond: options.maxPatchesPerSecond ?? 50,
  });
  const approvalEvents = new ApprovalEvents(realtime);
  /** Replicas and feeds still open, for close(); each leaves the set when it closes. */
  const open = new Set<{ close(): Promise<void> }>();
  const track = <T extends { close(): Promise<void> }>(make: (onClosed: () => void) => T): T => {
    const live = make(() => open.delete(live));
    open.add(live);
    return live;
  };

  const statePath = (id: string) => `/api/dashboards/${enc(id)}/state`;
  const widgetPath = (id: string, widgetId: string) => `/api/dashboards/${enc(id)}/widgets/${enc(widgetId)}`;

  return {
    request,
    dashboards: {
      list: async (o) =>
        (await request<{ items: DashboardListItem[] }>("GET", "/api/dashboards", undefined, o)).items,
      get: (id, o) => request("GET", statePath(id), undefined, o),
      patch: (id, baseRev, ops, o = {}) =>
        request("PATCH", statePath(id), { baseRev, ops, clientId: o.clientId, mutationId: o.mutationId }, o),
      put: (id, baseRev, state, o) => request("PUT", statePath(id), { baseRev, state }, o),
      reset: async (id, o) => {
        await request("DELETE", statePath(id), undefined, o);
      },
      upsertWidget: (id, widgetId, widget, o) => request("PUT", widgetPath(id, widgetId), widget, o),
      removeWidget: (id, widgetId, o) => request("DELETE", widgetPath(id, widgetId), undefined, o),
    },
    members: {
      list: async (o) => (await request<{ items: Member[] }>("GET", "/api/members", undefined, o)).items,
    },
    sync: (id, syncOptions = {}) =>
      track((onClosed) => createSyncClient({ ...syncOptions, dashboardId: id, realtime, onClosed })),
    approvals: createApprovalsClient(request, {
      waitStrategies:
        options.approvalWaits === "long-poll"
          ? [longPollStrategy(request)]
          : [realtimeWaitStrategy(approvalEvents, request), longPollStrategy(request)],
      openFeed: () => track((onClosed) => new LiveApprovalFeed(approvalEvents, onClosed)),
    }),
    tokens: createTokensClient(request),
    mcp: createMcpClient(request, (listener) =>
      track((onClosed) => new ListWatch(realtime, mcpServersFeed, listener, onClosed)),
    ),
    agents: createAgentsClient(request, (listener) =>
      track((onClosed) => new ListWatch(realtime, agentsFeed, listener, onClosed)),
    ),
    close: async () => {
      await Promise.all([...open].map((live) => live.close()));
      await approvalEvents.close();
      await realtime.close();
    },
  };
}
