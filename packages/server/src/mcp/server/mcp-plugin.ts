import { setMaxListeners } from "node:events";
import { networkInterfaces } from "node:os";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { validateHostHeader, validateOriginHeader } from "@modelcontextprotocol/server";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { ApprovalService } from "../../approvals/approval-service.js";
import { requireBearer } from "../../auth/bearer.js";
import type { IdentityStore } from "../../auth/identity-store.js";
import type { RevocationWatch } from "../../auth/revocation.js";
import type { DashboardDirectory } from "../../dashboards/dashboard-directory.js";
import type { DashboardService } from "../../dashboards/dashboard-service.js";
import { forbidden } from "../../errors/agentboard-errors.js";
import type { EventBus } from "../../events/event-bus.js";
import { registerOpenCountGauge } from "../../observability/metrics.js";
import { type McpCaller, McpSessions } from "./mcp-sessions.js";
import type { McpSessionDirectory } from "./session-directory.js";
import type { McpToolProvider } from "./tool-provider.js";
import { DEFAULT_WIDGET_APP_FILE } from "./widget-app.js";

export type { McpToolProvider } from "./tool-provider.js";

export const MCP_PATH = "/mcp";

export interface McpServerPluginOptions {
  identity: IdentityStore;
  dashboards: DashboardService;
  dashboardDirectory: DashboardDirectory;
  approvals: ApprovalService;
  bus: EventBus;
  revocations: RevocationWatch;
  /** Origins browsers may send (the app's own and configured ones): any other Origin gets 403. */
  allowedOrigins: () => ReadonlySet<string>;
  /** `Host` values served (host:port): any other Host gets 403 (DNS rebinding). */
  allowedHosts: () => ReadonlySet<string>;
  /** Further tools on `/mcp` (the gateway's `<server>__<tool>`). */
  toolProviders?: readonly McpToolProvider[];
  /** The built MCP Apps widget view; defaults to the web app's build (DEFAULT_WIDGET_APP_FILE). */
  widgetAppFile?: string;
  /** Cluster mode: where each 2025-era session lives; requests for another node's session are forwarded. */
  sessionDirectory?: McpSessionDirectory;
  /** This node's URL for the other nodes (nodeUrlOf). */
  nodeUrl?: () => string;
}

/**
 * The URL other cluster nodes reach this node at: AGENTBOARD_NODE_URL, else http://HOST:PORT with the port
 * it listens on; a wildcard HOST (0.0.0.0, ::) names no address, so this machine's first non-loopback IPv4
 * address stands in (a container's own address), and loopback when there is none.
 */
export function nodeUrlOf(app: FastifyInstance, config: { host: string; port: number; nodeUrl?: string }) {
  return (): string => {
    if (config.nodeUrl) return new URL(config.nodeUrl).origin;
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    let host = config.host;
    if (host === "0.0.0.0" || host === "::") {
      const external = Object.values(networkInterfaces())
        .flat()
        .find((entry) => entry?.family === "IPv4" && !entry.internal);
      host = external?.address ?? "127.0.0.1";
    }
    return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  };
}

/**
 * The `Host` values this node answers `/mcp` for: the loopback names and the configured host, each with the
 * port it listens on, the public URL's host and the node URL's host. Everything else is someone else's name for this address —
 * a DNS-rebinding page among them.
 */
export function mcpAllowedHosts(
  app: FastifyInstance,
  config: { host: string; port: number; publicUrl?: string },
  nodeUrl?: () => string,
): () => ReadonlySet<string> {
  let cached: ReadonlySet<string> | undefined;
  return () => {
    if (cached) return cached;
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    const names = new Set(["127.0.0.1", "localhost", "[::1]"]);
    if (config.host !== "0.0.0.0" && config.host !== "::")
      names.add(config.host.includes(":") ? `[${config.host}]` : config.host);
    const hosts = new Set([...names].map((name) => `${name.toLowerCase()}:${port}`));
    if (config.publicUrl) hosts.add(new URL(config.publicUrl).host.toLowerCase());
    // The name other nodes use for this one when they forward a session's request here.
    if (nodeUrl) hosts.add(new URL(nodeUrl()).host.toLowerCase());
    if (typeof address === "object" && address) cached = hosts;
    return hosts;
  };
}

/**
 * agentboard as an MCP server: Streamable HTTP at `/mcp` (docs/mcp.md). Host and Origin are checked first
 * (403), then the bearer token — an agent's or a user's API token; never a cookie — (401 with
 * `WWW-Authenticate: Bearer`); the app's rate limiter then keys on the principal like on `/api`. Bodies
 * are limited by the app's bodyLimit (413) before anything is parsed.
 */
async function mcpServerPlugin(app: FastifyInstance, options: McpServerPluginOptions): Promise<void> {
  const closing = new AbortController();
  // Every open session and running call listens for the shutdown: more than Node's default of 10 is normal.
  setMaxListeners(0, closing.signal);
  const sessions = new McpSessions(
    {
      identity: options.identity,
      dashboards: options.dashboards,
      dashboardDirectory: options.dashboardDirectory,
      approvals: options.approvals,
      toolProviders: options.toolProviders ?? [],
      closing: closing.signal,
      version: "0.1.0",
      widgetAppFile: options.widgetAppFile ?? DEFAULT_WIDGET_APP_FILE,
    },
    options.revocations,
    (error) => app.log.warn({ err: error }, "mcp endpoint error"),
    options.sessionDirectory && options.nodeUrl
      ? { directory: options.sessionDirectory, nodeUrl: options.nodeUrl }
      : undefined,
  );
  const unsubscribe = options.bus.subscribe("dashboard", (event) => sessions.dashboardChanged(event));
  const unsubscribeTools = (options.toolProviders ?? []).map(
    (provider) => provider.onToolsChanged?.(() => sessions.toolsChanged()) ?? (() => {}),
  );
  registerOpenCountGauge(
    app,
    "agentboard_mcp_sessions",
    "Open 2025-era MCP sessions on /mcp",
    () => sessions.sessionCount,
  );

  app.addHook("preClose", async () => {
    // Waits for approvals end now, so Fastify is not held by streams that would stay open for an hour.
    closing.abort(new Error("the server is shutting down"));
    unsubscribe();
    for (const stop of unsubscribeTools) stop();
    await sessions.close();
  });

  const authenticate = requireBearer(options.identity);
  const guard = async (request: FastifyRequest, reply: FastifyReply) => {
    // The SDK's validators check the names (port-agnostic, and they reject missing or malformed headers);
    // the exact host:port and origin (scheme, name and port) must then be ours.
    const hosts = options.allowedHosts();
    const hostHeader = request.headers.host;
    const host = validateHostHeader(
      hostHeader,
      [...hosts].map((h) => h.replace(/:\d+$/, "")),
    );
    if (!host.ok || !hosts.has(String(hostHeader).toLowerCase())) {
      throw forbidden(`Host "${hostHeader ?? ""}" is not a name this server answers /mcp for`);
    }
    const origin = request.headers.origin;
    if (origin !== undefined) {
      const origins = options.allowedOrigins();
      const checked = validateOriginHeader(origin, [...origins].map(originHostname));
      if (!checked.ok || !origins.has(origin)) throw forbidden(`Origin "${origin}" may not call /mcp`);
    }
    await authenticate(request, reply);
  };

  const node = toNodeHandler({
    fetch: (request, init) => {
      const caller = init?.authInfo?.extra?.caller as McpCaller;
      return sessions.fetch(request, caller, init?.parsedBody);
    },
  });

  app.route({
    method: ["GET", "POST", "DELETE"],
    url: MCP_PATH,
    schema: { hide: true },
    onRequest: guard,
    handler: async (request, reply) => {
      const caller: McpCaller = {
        principal: request.principal!,
        credentialCheckedAt: request.credentialCheckedAt,
      };
      reply.hijack();
      const raw = Object.assign(request.raw, {
        auth: { token: "", clientId: caller.principal.id, scopes: [], extra: { caller } },
      });
      await node(raw, reply.raw, request.body ?? undefined);
    },
  });
}

function originHostname(origin: string): string {
  try {
    return new URL(origin).hostname;
  } catch {
    return "";
  }
}

export const mcpPlugin = fp(mcpServerPlugin, { name: "agentboard-mcp-server" });
