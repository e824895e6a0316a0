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
import { endWhen, jsonRpcError } from "./mcp-answers.js";
import { buildMcpServer, type McpServerDeps, type ResourceSubscriptions } from "./mcp-server-factory.js";
import { principalKey } from "./session-directory.js";
import { type SessionCluster, SessionRecords } from "./session-records.js";

export type { SessionCluster } from "./session-records.js";

/** 2025-era sessions one principal may hold open; opening one more closes its least recently used. */
export const MAX_SESSIONS_PER_PRINCIPAL = 32;
/** A 2025-era session nobody used for this long is closed (its client gets 404 and opens a new one). */
export const SESSION_IDLE_MS = 6 * 60 * 60 * 1000;

/** A used session's cluster record is renewed at most this often (a Redis write per minute, not per call). */
const RECORD_RENEW_MS = 60_000;

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
  /** Cluster mode: this node's sessions in the shared directory, and requests for other nodes' sessions. */
  private readonly records: SessionRecords | undefined;

  constructor(
    private readonly deps: McpServerDeps,
    private readonly revocations: RevocationWatch,
    private readonly onError: (error: Error) => void,
    cluster?: SessionCluster,
  ) {
    this.records = cluster && new SessionRecords(cluster, SESSION_IDLE_MS, deps.closing, onError);
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
        const forwarded = await this.records?.forward(
          request,
          parsedBody,
          sessionId,
          principalKey(caller.principal),
        );
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

  private used(session: LegacySession): void {
    const now = Date.now();
    session.lastSeen = now;
    if (!this.records || !session.id || now - session.renewed < RECORD_RENEW_MS) return;
    session.renewed = now;
    // The whole record, not only its expiry: a record removed by mistake (another node's failed forward)
    // comes back with the session's next use.
    void this.records.record(session.id, principalKey(session.principal));
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
          await this.records?.record(id, principalKey(principal));
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
      void this.records?.remove(session.id);
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
