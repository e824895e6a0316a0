import { randomUUID } from "node:crypto";
import { mcpDashboardUri } from "@agentboard/protocol";
import {
  type AuthInfo,
  createMcpHandler,
  isInitializeRequest,
  isLegacyRequest,
  type McpHttpHandler,
  type McpServer,
  WebStandardStreamableHTTPServerTransport,
} from "@modelcontextprotocol/server";
import type { Principal } from "../../auth/principal.js";
import type { RevocationWatch } from "../../auth/revocation.js";
import type { DashboardChangeEvent } from "../../dashboards/dashboard-topics.js";
import { buildMcpServer, type McpServerDeps, type ResourceSubscriptions } from "./mcp-server-factory.js";
import type { McpSessionDirectory } from "./session-directory.js";
import { FORWARDED_HEADER, forwardToNode } from "./session-forwarding.js";

/** 2025-era sessions one principal may hold open; opening one more closes its least recently used. */
export const MAX_SESSIONS_PER_PRINCIPAL = 32;
/** A 2025-era session nobody used for this long is closed (its client gets 404 and opens a new one). */
export const SESSION_IDLE_MS = 6 * 60 * 60 * 1000;

/** A used session's cluster record is renewed at most this often (a Redis write per minute, not per call). */
const RECORD_RENEW_MS = 60_000;

/** Cluster mode: the shared session records, and this node's URL as the other nodes call it. */
export interface SessionCluster {
  directory: McpSessionDirectory;
  nodeUrl: () => string;
}

/** What the `/mcp` route knows about the caller: who, and when its credential was read (revocation). */
export interface McpCaller {
  principal: Principal;
  credentialCheckedAt: number;
}

interface LegacySession {
  id?: string;
  principal: Principal;
  transport: WebStandardStreamableHTTPServerTransport;
  server: McpServer;
  subscriptions: ResourceSubscriptions;
  lastSeen: number;
  /** When the cluster record was last renewed. */
  renewed: number;
  /** Aborted when the session ends: tool calls still running in it (an approval wait) end with it. */
  ended: AbortController;
  unwatch(): void;
}

interface ModernEndpoint {
  principal: Principal;
  handler: McpHttpHandler;
}

const principalKey = (p: Principal) => `${p.workspaceId}\u0000${p.kind}:${p.id}`;

/**
 * Serves `/mcp` for authenticated callers, in both protocol eras:
 *
 * - 2026-07-28 requests (a `_meta` envelope on each) go to `createMcpHandler`, one per principal, so that
 *   `notifications/resources/updated` on a `subscriptions/listen` stream reaches only that principal's
 *   streams (the SDK filters listen streams by URI, not by caller).
 * - 2025-era requests (`initialize` first; v1 SDK clients, the conformance suite) get sessions: a session
 *   keeps one server instance, so `resources/subscribe`, `notifications/cancelled` and the standalone GET
 *   stream work. Routing on `isLegacyRequest` in front of a strict modern handler is the SDK's documented
 *   way to keep sessionful 2025 serving next to 2026-07-28 (its stateless fallback has no sessions).
 *   A session belongs to the principal that opened it: the same id from anyone else is `404 Session not
 *   found`, exactly like an id that never existed. Revoking the credential that opened a session (or
 *   removing the principal, or changing its role) closes it, and so ends its streams and running calls.
 * - Cluster mode: a session lives in the node that opened it, and is recorded in the shared directory. A
 *   request for it that a load balancer sends to another node is forwarded to the owner (only for the
 *   principal that opened it), so clients need no sticky routing. When the owner is gone, so is the session:
 *   404, and the client opens a new one as the spec says.
 */
export class McpSessions {
  private readonly legacy = new Map<string, LegacySession>();
  private readonly legacyByWorkspace = new Map<string, Set<LegacySession>>();
  private readonly modern = new Map<string, ModernEndpoint>();
  private readonly sweep: NodeJS.Timeout;

  constructor(
    private readonly deps: McpServerDeps,
    private readonly revocations: RevocationWatch,
    private readonly onError: (error: Error) => void,
    private readonly cluster?: SessionCluster,
  ) {
    this.sweep = setInterval(() => this.closeIdle(), Math.min(SESSION_IDLE_MS, 60_000));
    this.sweep.unref();
  }

  /** Open 2025-era sessions (tests, metrics). */
  get sessionCount(): number {
    return this.legacy.size;
  }

  /** The fetch face the route hands requests to (through `toNodeHandler`). */
  async fetch(request: Request, caller: McpCaller, parsedBody: unknown): Promise<Response> {
    if (await isLegacyRequest(request, parsedBody)) return this.serveLegacy(request, caller, parsedBody);
    return this.serveModern(request, caller, parsedBody);
  }

  /** Tells subscribed sessions and listen streams that a dashboard changed. */
  dashboardChanged(event: DashboardChangeEvent): void {
    const { workspaceId, dashboardId } = event.key;
    for (const session of this.legacyByWorkspace.get(workspaceId) ?? []) {
      for (const uri of urisSeenBy(session.principal, dashboardId)) {
        if (!session.subscriptions.has(uri)) continue;
        session.server.server.sendResourceUpdated({ uri }).catch((error: unknown) => {
          this.onError(error instanceof Error ? error : new Error(String(error)));
        });
      }
    }
    for (const endpoint of this.modern.values()) {
      if (endpoint.principal.workspaceId !== workspaceId) continue;
      for (const uri of urisSeenBy(endpoint.principal, dashboardId))
        endpoint.handler.notify.resourceUpdated(uri);
    }
  }

  /** `notifications/tools/list_changed` to every open session and every listen stream that opted in. */
  toolsChanged(): void {
    for (const session of this.legacy.values()) {
      session.server.server.sendToolListChanged().catch((error: unknown) => {
        this.onError(error instanceof Error ? error : new Error(String(error)));
      });
    }
    for (const endpoint of this.modern.values()) endpoint.handler.notify.toolsChanged();
  }

  async close(): Promise<void> {
    clearInterval(this.sweep);
    await Promise.allSettled([...this.legacy.values()].map((session) => this.end(session)));
    await Promise.allSettled([...this.modern.values()].map((endpoint) => endpoint.handler.close()));
    this.modern.clear();
  }

  private async serveLegacy(request: Request, caller: McpCaller, parsedBody: unknown): Promise<Response> {
    const authInfo = authInfoOf(caller);
    const sessionId = request.headers.get("mcp-session-id");
    if (sessionId) {
      const session = this.legacy.get(sessionId);
      if (!session) {
        const forwarded = await this.forward(request, caller, parsedBody, sessionId);
        if (forwarded) return forwarded;
      }
      // Someone else's session id is answered exactly like an unknown one: ids are never confirmed.
      if (!session || principalKey(session.principal) !== principalKey(caller.principal)) {
        return jsonRpcError(404, -32001, "Session not found");
      }
      this.used(session);
      return session.transport.handleRequest(request, { parsedBody, authInfo });
    }
    if (request.method !== "POST" || !isInitializeRequest(parsedBody)) {
      return jsonRpcError(
        400,
        -32000,
        "Bad Request: send initialize first, then the Mcp-Session-Id it returns",
      );
    }
    const session = await this.open(caller);
    return session.transport.handleRequest(request, { parsedBody, authInfo });
  }

  /**
   * Cluster mode: the answer of the node holding `sessionId` when that is another node and the session is
   * the caller's; undefined when there is nothing to forward to (then the session is not found).
   */
  private async forward(
    request: Request,
    caller: McpCaller,
    parsedBody: unknown,
    sessionId: string,
  ): Promise<Response | undefined> {
    const cluster = this.cluster;
    if (!cluster || request.headers.has(FORWARDED_HEADER)) return undefined;
    let owner: Awaited<ReturnType<McpSessionDirectory["lookup"]>>;
    try {
      owner = await cluster.directory.lookup(sessionId);
    } catch (error) {
      this.onError(error instanceof Error ? error : new Error(String(error)));
      return jsonRpcError(503, -32000, "The cluster's session directory is unavailable; try again");
    }
    if (!owner || owner.principal !== principalKey(caller.principal)) return undefined;
    if (owner.node === cluster.nodeUrl()) {
      // Recorded under this node's address but not open here: this node restarted. The session is gone.
      void this.removeRecord(sessionId);
      return undefined;
    }
    // One controller per forward, ended by the client going away or by this node shutting down (an open
    // notification stream would hold the close). Not AbortSignal.any: on Node 20 the app-long `closing`
    // signal would keep every combined signal for good.
    const { closing } = this.deps;
    const abort = new AbortController();
    const onClientGone = () => abort.abort(request.signal.reason);
    const onShutdown = () => abort.abort(closing.reason);
    request.signal.addEventListener("abort", onClientGone, { once: true });
    closing.addEventListener("abort", onShutdown, { once: true });
    const release = () => {
      request.signal.removeEventListener("abort", onClientGone);
      closing.removeEventListener("abort", onShutdown);
    };
    if (request.signal.aborted) onClientGone();
    if (closing.aborted) onShutdown();
    const forwarded = await forwardToNode(request, parsedBody, owner.node, abort.signal);
    switch (forwarded.kind) {
      case "answered":
        // The owner does not have it (it restarted at the same address): the record is stale.
        if (forwarded.response.status === 404) void this.removeRecord(sessionId);
        return endWhen(forwarded.response, abort.signal, release);
      case "gone":
        release();
        this.onError(
          new Error(
            `MCP session ${sessionId}: nothing listens at its node ${owner.node} (${forwarded.error.message}); the session is gone`,
          ),
        );
        void this.removeRecord(sessionId);
        return undefined;
      case "failed":
        // Maybe a passing fault of a live owner: the session is kept, and the client may retry.
        release();
        this.onError(
          new Error(
            `MCP session ${sessionId}: its node ${owner.node} did not answer (${forwarded.error.message})`,
          ),
        );
        return jsonRpcError(502, -32000, "The node holding this session did not answer; try again");
      case "aborted":
        // Never 404 here: the session is alive on its node, and a 404 tells the client to drop it.
        release();
        return jsonRpcError(503, -32000, "This node is shutting down; try again");
    }
  }

  private used(session: LegacySession): void {
    const now = Date.now();
    session.lastSeen = now;
    if (!this.cluster || !session.id || now - session.renewed < RECORD_RENEW_MS) return;
    session.renewed = now;
    // The whole record, not only its expiry: a record removed by mistake (another node's failed forward)
    // comes back with the session's next use.
    void this.record(session.id, session.principal);
  }

  private async record(sessionId: string, principal: Principal): Promise<void> {
    const cluster = this.cluster;
    if (!cluster) return;
    await cluster.directory
      .register(sessionId, { node: cluster.nodeUrl(), principal: principalKey(principal) }, SESSION_IDLE_MS)
      .catch((error: unknown) => this.onError(error instanceof Error ? error : new Error(String(error))));
  }

  private async removeRecord(sessionId: string): Promise<void> {
    await this.cluster?.directory.remove(sessionId).catch((error: unknown) => {
      this.onError(error instanceof Error ? error : new Error(String(error)));
    });
  }

  private async open(caller: McpCaller): Promise<LegacySession> {
    const { principal } = caller;
    this.makeRoomFor(principal);
    const subscriptions: ResourceSubscriptions = new Set();
    const ended = new AbortController();
    const server = buildMcpServer({ ...this.deps, closing: ended.signal }, principal, subscriptions);
    const session: LegacySession = {
      principal,
      server,
      subscriptions,
      lastSeen: Date.now(),
      renewed: Date.now(),
      ended,
      unwatch: () => {},
      transport: new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: async (id) => {
          session.id = id;
          this.legacy.set(id, session);
          let set = this.legacyByWorkspace.get(principal.workspaceId);
          if (!set) {
            set = new Set();
            this.legacyByWorkspace.set(principal.workspaceId, set);
          }
          set.add(session);
          // Recorded before the client learns the id, so its next request may land on any node. Without the
          // record (Redis down) the session still works through this node.
          await this.record(id, principal);
        },
      }),
    };
    const onAppClose = () => ended.abort(this.deps.closing.reason);
    this.deps.closing.addEventListener("abort", onAppClose, { once: true });
    ended.signal.addEventListener("abort", () => this.deps.closing.removeEventListener("abort", onAppClose), {
      once: true,
    });
    session.transport.onclose = () => this.forget(session);
    session.unwatch = this.revocations.watch(principal, caller.credentialCheckedAt, () => {
      void this.end(session);
    });
    await server.connect(session.transport);
    return session;
  }

  private makeRoomFor(principal: Principal): void {
    const key = principalKey(principal);
    const own = [...(this.legacyByWorkspace.get(principal.workspaceId) ?? [])]
      .filter((s) => principalKey(s.principal) === key)
      .sort((a, b) => a.lastSeen - b.lastSeen);
    for (const session of own.slice(0, Math.max(0, own.length - MAX_SESSIONS_PER_PRINCIPAL + 1))) {
      void this.end(session);
    }
  }

  private closeIdle(): void {
    const before = Date.now() - SESSION_IDLE_MS;
    for (const session of this.legacy.values()) if (session.lastSeen < before) void this.end(session);
  }

  private async end(session: LegacySession): Promise<void> {
    session.ended.abort(new Error("the MCP session ended"));
    this.forget(session);
    await session.transport.close().catch(() => {});
    await session.server.close().catch(() => {});
  }

  private forget(session: LegacySession): void {
    session.unwatch();
    if (!session.ended.signal.aborted) session.ended.abort(new Error("the MCP session ended"));
    if (session.id && this.legacy.get(session.id) === session) {
      this.legacy.delete(session.id);
      void this.removeRecord(session.id);
    }
    const set = this.legacyByWorkspace.get(session.principal.workspaceId);
    set?.delete(session);
    if (set?.size === 0) this.legacyByWorkspace.delete(session.principal.workspaceId);
  }

  private async serveModern(request: Request, caller: McpCaller, parsedBody: unknown): Promise<Response> {
    const endpoint = this.modernEndpoint(caller.principal);
    // The request's calls and streams end when its credential is revoked or the server shuts down (and,
    // through the SDK, when the client goes away); the listeners go when its response has ended.
    const ended = new AbortController();
    const onShutdown = () => ended.abort(this.deps.closing.reason);
    this.deps.closing.addEventListener("abort", onShutdown, { once: true });
    const unwatch = this.revocations.watch(caller.principal, caller.credentialCheckedAt, () =>
      ended.abort(new Error("the credentials of this request were revoked")),
    );
    const done = () => {
      unwatch();
      this.deps.closing.removeEventListener("abort", onShutdown);
    };
    let response: Response;
    try {
      response = await endpoint.handler.fetch(request, {
        authInfo: authInfoOf(caller, ended.signal),
        parsedBody,
      });
    } catch (error) {
      done();
      throw error;
    }
    return endWhen(response, ended.signal, done);
  }

  private modernEndpoint(principal: Principal): ModernEndpoint {
    const key = principalKey(principal);
    let endpoint = this.modern.get(key);
    if (!endpoint) {
      const handler = createMcpHandler(
        ({ authInfo }) => {
          const extra = authInfo?.extra as { principal: Principal; ended?: AbortSignal } | undefined;
          if (!extra) throw new Error("the /mcp route passes the caller in authInfo");
          return buildMcpServer({ ...this.deps, closing: extra.ended ?? this.deps.closing }, extra.principal);
        },
        { legacy: "reject", onerror: this.onError },
      );
      endpoint = { principal, handler };
      this.modern.set(key, endpoint);
    }
    return endpoint;
  }
}

/** The URIs under which `principal` may know this dashboard (its own personal one is also `me`). */
function urisSeenBy(principal: Principal, dashboardId: string): string[] {
  if (!dashboardId.startsWith("user:")) return [mcpDashboardUri(dashboardId)];
  const owner = dashboardId.slice("user:".length);
  if (principal.kind === "agent") return [mcpDashboardUri(dashboardId)];
  return owner === principal.id ? [mcpDashboardUri(dashboardId), mcpDashboardUri("me")] : [];
}

function authInfoOf(caller: McpCaller, ended?: AbortSignal): AuthInfo {
  const { principal } = caller;
  return {
    // Never the secret: handlers only need to know who is calling.
    token: "",
    clientId: `${principal.kind}:${principal.id}`,
    scopes: principal.scopes ?? [],
    extra: { principal, ended },
  };
}

function jsonRpcError(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status });
}

/**
 * The response with its body cut when `signal` aborts (a revoked credential ends an open stream), and
 * `done` called once the body ended either way.
 */
function endWhen(response: Response, signal: AbortSignal, done: () => void): Response {
  if (!response.body) {
    done();
    return response;
  }
  const reader = response.body.getReader();
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    signal.removeEventListener("abort", onAbort);
    done();
  };
  let cut: (() => void) | undefined;
  const onAbort = () => cut?.();
  signal.addEventListener("abort", onAbort, { once: true });
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      cut = () => {
        reader.cancel(signal.reason).catch(() => {});
        try {
          controller.close();
        } catch {
          // already closed
        }
        finish();
      };
      if (signal.aborted) cut();
    },
    async pull(controller) {
      try {
        const { done: ended, value } = await reader.read();
        if (ended) {
          controller.close();
          finish();
        } else controller.enqueue(value);
      } catch (error) {
        controller.error(error);
        finish();
      }
    },
    cancel(reason) {
      finish();
      return reader.cancel(reason);
    },
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
