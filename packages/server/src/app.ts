import cookie from "@fastify/cookie";
import rateLimit from "@fastify/rate-limit";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyInstance, LogController } from "fastify";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { aguiPlugin } from "./agui/agui-plugin.js";
import type { ApprovalService } from "./approvals/approval-service.js";
import { approvalsPlugin } from "./approvals/approvals-plugin.js";
import { accessPlugin } from "./auth/access-plugin.js";
import { registerAuth } from "./auth/auth-plugin.js";
import type { IdentityStore } from "./auth/identity-store.js";
import type { Config } from "./config.js";
import type { DashboardDirectory } from "./dashboards/dashboard-directory.js";
import type { DashboardService } from "./dashboards/dashboard-service.js";
import { dashboardsPlugin } from "./dashboards/dashboards-plugin.js";
import type { EventBus } from "./events/event-bus.js";
import { healthPlugin } from "./health/health-plugin.js";
import type { HealthCheck } from "./health/health-routes.js";
import { registerCors } from "./http/cors.js";
import { registerErrorHandler } from "./http/error-handler.js";
import { registerJsonBodyParser } from "./http/json-body.js";
import { registerZodSchemas, zodToOpenApi } from "./http/zod-schemas.js";
import { mcpGatewayPlugin } from "./mcp/gateway/gateway-plugin.js";
import { McpSourceRunner } from "./mcp/gateway/mcp-source.js";
import { mcpAllowedHosts, mcpPlugin, nodeUrlOf } from "./mcp/server/mcp-plugin.js";
import type { McpSessionDirectory } from "./mcp/server/session-directory.js";
import { a2aPlugin } from "./mesh/a2a-plugin.js";
import { AgentSourceRunner } from "./mesh/agent-source.js";
import { meshPlugin } from "./mesh/mesh-plugin.js";
import type { SweepLock } from "./mesh/sweep-lock.js";
import { registerMetrics } from "./observability/metrics.js";
import { realtimePlugin } from "./realtime/realtime-plugin.js";
import { registerWebSocketSupport } from "./realtime/realtime-routes.js";
import type { RealtimeTickets } from "./realtime/ticket-store.js";
import type { Database } from "./storage/schema.js";
import { tokensPlugin } from "./tokens/index.js";
import { registerDocsSecurityHeaders } from "./web/docs-security.js";
import { webAppPlugin } from "./web/web-app-plugin.js";

/** How long a shutdown waits for in-flight requests before it cuts the connections that are left. */
const SHUTDOWN_GRACE_MS = 3_000;

export interface AppServices {
  identity: IdentityStore;
  dashboards: DashboardService;
  /** Lists a workspace's dashboard documents (`GET /api/dashboards`). */
  dashboardDirectory: DashboardDirectory;
  approvals: ApprovalService;
  bus: EventBus;
  healthChecks: readonly HealthCheck[];
  /** The relational store (both runtimes have one); the MCP gateway keeps its gated calls there. */
  db: Kysely<Database>;
  /** Where realtime tickets live; in-process unless given (cluster mode shares them through Redis). */
  tickets?: RealtimeTickets;
  /** Cluster mode: the lease that makes one node per cluster sweep the agents' health. */
  agentSweepLock?: SweepLock;
  /** Cluster mode: which node holds each 2025-era MCP session, so other nodes forward its requests there. */
  mcpSessionDirectory?: McpSessionDirectory;
}

/** The origin browsers use for this server: the configured public URL, else http://host:port. */
export function appOrigin(config: Pick<Config, "publicUrl" | "host" | "port">, port = config.port): string {
  if (config.publicUrl) return new URL(config.publicUrl).origin;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** The app's own origin (with the port it actually listens on, which may have been 0) plus configured ones. */
export function allowedOriginsOf(app: FastifyInstance, config: Config): () => ReadonlySet<string> {
  let cached: ReadonlySet<string> | undefined;
  return () => {
    if (cached) return cached;
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : undefined;
    const origins = new Set([appOrigin(config, port ?? config.port), ...config.allowedOrigins]);
    if (port !== undefined) cached = origins;
    return origins;
  };
}

/**
 * Builds the Fastify app from config and already-opened services; it does not listen, so tests can use
 * `inject()` or listen on port 0. No globals: two apps in one process do not share anything.
 */
export async function buildApp(
  config: Config,
  services: AppServices,
  logger?: Logger,
): Promise<FastifyInstance> {
  const production = config.nodeEnv === "production";
  // Typed as the default instance: a pino Logger instance makes Fastify's generics incompatible with the
  // plain FastifyInstance our capability modules take, though it is the same object at run time.
  const app: FastifyInstance = Fastify({
    loggerInstance: logger,
    bodyLimit: config.bodyLimitBytes,
    // Route params are ids with ":" (user:<id>); keep the default max param length generous but bounded.
    routerOptions: { maxParamLength: 200 },
    // Per-request lines only when debugging: at info they drown the events operators need.
    logController: new LogController({
      disableRequestLogging: config.logLevel !== "debug" && config.logLevel !== "trace",
    }),
  }) as unknown as FastifyInstance;

  registerZodSchemas(app);
  registerJsonBodyParser(app, config.maxJsonDepth);
  registerErrorHandler(app, production);
  registerCors(app, allowedOriginsOf(app, config));
  registerMetrics(app, { keys: config.metricsKeys, production });
  await app.register(cookie);
  await registerWebSocketSupport(app, config.bodyLimitBytes);
  registerAuth(app, { identity: services.identity, allowedOrigins: allowedOriginsOf(app, config) });
  await app.register(rateLimit, {
    global: true,
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    // Runs after auth resolved the caller, so one principal's budget is shared across its IPs and one
    // shared IP (a NAT) does not throttle every user behind it.
    hook: "preHandler",
    keyGenerator: (request) => (request.principal ? `p:${request.principal.id}` : `ip:${request.ip}`),
  });
  await app.register(swagger, {
    openapi: {
      info: { title: "agentboard API", version: "0.1.0", description: "See docs/api.md and contract.md" },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    transform: zodToOpenApi,
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  registerDocsSecurityHeaders(app);

  // Shutdown: Fastify waits for every connection to end. One that never does (seen in tests: a keep-alive
  // connection left behind by a client that gave up mid-request) would hold the shutdown forever, so
  // in-flight requests get a grace period and then every remaining connection is cut. (Each capability's own
  // preClose/onClose hooks close what it opened.)
  app.addHook("preClose", async () => {
    const cut = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
    cut.unref();
    app.server.once("close", () => clearTimeout(cut));
  });

  // The capabilities, one line each (docs/architecture.md "Capabilities: the plugin list"). Order matters
  // only where a plugin uses what an earlier one decorates: health first (others add their checks), access
  // before anything that holds requests open (revocations), realtime before the channels' owners.
  const secureCookies = config.publicUrl?.startsWith("https:") ?? false;
  const nodeUrl = nodeUrlOf(app, config);
  if (config.mode === "cluster" && !config.nodeUrl) {
    app.server.once("listening", () => {
      const url = nodeUrl();
      if (!/^(127\.|\[::1\]|localhost)/.test(new URL(url).host)) return;
      app.log.warn(
        { nodeUrl: url },
        "AGENTBOARD_NODE_URL is not set and this node's address is loopback: nodes on other machines cannot forward MCP sessions here (set it to the URL they reach this node at)",
      );
    });
  }
  await app.register(healthPlugin, { checks: services.healthChecks });
  await app.register(accessPlugin, { identity: services.identity, bus: services.bus, secureCookies });
  await app.register(realtimePlugin, {
    identity: services.identity,
    tickets: services.tickets,
    heartbeatMs: config.wsHeartbeatMs,
    maxBufferedBytes: config.wsMaxBufferedBytes,
    messagesPerSecond: config.wsMessagesPerSecond,
    production,
    allowedOrigins: allowedOriginsOf(app, config),
  });
  await app.register(dashboardsPlugin, {
    ...services,
    refreshTimeoutMs: config.refreshTimeoutMs,
    sourceMaxBytes: config.sourceMaxBytes,
  });
  await app.register(approvalsPlugin, services);
  await app.register(aguiPlugin, services);
  await app.register(tokensPlugin);
  await app.register(mcpGatewayPlugin, {
    servers: config.mcpServers,
    ...services,
    healthChecks: app.healthChecks,
  });
  await app.register(mcpPlugin, {
    ...services,
    revocations: app.revocations,
    allowedOrigins: allowedOriginsOf(app, config),
    // The node URL is a name for this node only where other nodes use it: cluster mode.
    allowedHosts: mcpAllowedHosts(app, config, services.mcpSessionDirectory ? nodeUrl : undefined),
    toolProviders: [app.mcpGateway],
    sessionDirectory: services.mcpSessionDirectory,
    nodeUrl,
  });
  await app.register(a2aPlugin, { ...services, origin: () => [...allowedOriginsOf(app, config)()][0]! });
  await app.register(meshPlugin, {
    ...services,
    healthChecks: app.healthChecks,
    sweepLock: services.agentSweepLock,
    allowPrivateNetwork: config.agentsAllowPrivateNetwork,
    probeIntervalMs: config.agentProbeIntervalMs,
    probeTimeoutMs: config.agentProbeTimeoutMs,
  });
  // Widgets bound to a remote agent or an MCP tool: the refresher runs them through these (dashboards/ owns
  // the interface, so it imports neither mesh/ nor mcp/).
  app.widgetSources.register(
    "agent",
    new AgentSourceRunner(app.agentDirectory, { allowPrivateNetwork: config.agentsAllowPrivateNetwork }),
  );
  app.widgetSources.register("mcp", new McpSourceRunner(app.mcpGateway));
  await app.register(webAppPlugin);
  return app;
}
