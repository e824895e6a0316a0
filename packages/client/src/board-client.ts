import type {
  DashboardDocument,
  DashboardListItem,
  JsonPatchOp,
  Member,
  Widget,
  WidgetInput,
} from "@agentboard/protocol";
import { ApprovalFeed } from "./approvals/approval-feed.js";
import { type ApprovalsClient, createApprovalsClient } from "./approvals/approvals-client.js";
import { longPollStrategy } from "./approvals/long-poll-strategy.js";
import { realtimeWaitStrategy } from "./approvals/realtime-wait-strategy.js";
import { ApiRequestError, ConnectionError } from "./errors.js";
import { createSyncClient, type SyncClient, type SyncOptions } from "./sync/sync-client.js";
import type { WebSocketConstructor } from "./sync/sync-connection.js";

export interface BoardClientOptions {
  /** Base URL of the agentboard server, e.g. http://127.0.0.1:7800 */
  url: string;
  /** An API token (`ab_…`). Browsers may omit it and rely on the session cookie. */
  token?: string;
  /** Per-request timeout; default 30 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** WebSocket class for approval waits; default the global one, else (Node 20) the `ws` package. */
  WebSocket?: WebSocketConstructor;
  /**
   * How `approvals…wait()` learns of decisions: "realtime" (default) listens on the WebSocket and falls back
   * to the long-poll when no socket can be had; "long-poll" uses only `GET /api/approvals/:id/wait`.
   */
  approvalWaits?: "realtime" | "long-poll";
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Overrides the client's per-request timeout (long-polls need longer than the default). */
  timeoutMs?: number;
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
  /** A live replica of dashboard `id` over the realtime WebSocket; `close()` it when done. */
  sync(id: string, options?: SyncOptions): SyncClient;
  /** Human approvals: `await (await board.approvals.request({...})).wait()`. */
  approvals: ApprovalsClient;
  /** Closes the shared realtime connection used by approval waits (live replicas close themselves). */
  close(): Promise<void>;
}

const enc = encodeURIComponent;

export function createBoardClient(options: BoardClientOptions): BoardClient {
  const base = options.url.replace(/\/+$/, "");
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function request<T>(
    method: string,
    path: string,
    body?: unknown,
    requestOptions: RequestOptions = {},
  ): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const timeout = AbortSignal.timeout(requestOptions.timeoutMs ?? timeoutMs);
    const signal = requestOptions.signal ? AbortSignal.any([requestOptions.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await doFetch(base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        credentials: "same-origin",
      });
    } catch (error) {
      if (requestOptions.signal?.aborted) throw requestOptions.signal.reason ?? error;
      throw new ConnectionError(
        `${method} ${path} failed: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) throw ApiRequestError.fromWire(response.status, parsed);
    return parsed as T;
  }

  const fetchTicket = async (signal: AbortSignal) =>
    (await request<{ ticket: string }>("POST", "/api/realtime/ticket", undefined, { signal })).ticket;
  // Approval waits share one realtime connection, opened only while something waits.
  const approvalFeed = new ApprovalFeed({ baseUrl: base, fetchTicket, WebSocket: options.WebSocket });

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
      createSyncClient({ ...syncOptions, dashboardId: id, baseUrl: base, fetchTicket }),
    approvals: createApprovalsClient(request, {
      waitStrategies:
        options.approvalWaits === "long-poll"
          ? [longPollStrategy(request)]
          : [realtimeWaitStrategy(approvalFeed, request), longPollStrategy(request)],
    }),
    close: () => approvalFeed.close(),
  };
}
