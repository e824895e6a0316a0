import { randomBytes } from "node:crypto";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { Kysely } from "kysely";
import type { ApprovalService } from "../../approvals/approval-service.js";
import type { McpServerEntry } from "../../config/mcp-servers.js";
import type { EventBus } from "../../events/event-bus.js";
import type { HealthCheck } from "../../health/health-routes.js";
import { McpGatewayMetrics } from "../../observability/mcp-gateway-metrics.js";
import type { Database } from "../../storage/schema.js";
import { GatedCallStore } from "./gated-call-store.js";
import { McpGateway } from "./gateway.js";
import { registerGatewayRoutes } from "./gateway-routes.js";
import { McpChannel } from "./mcp-channel.js";
import { ToolCallGate } from "./tool-call-gate.js";
import type { UpstreamTimings } from "./upstream.js";

declare module "fastify" {
  interface FastifyInstance {
    /** The MCP gateway (upstream servers from `mcpServers`); the `/mcp` endpoint lists its tools. */
    mcpGateway: McpGateway;
  }
}

export interface McpGatewayPluginOptions {
  servers: readonly McpServerEntry[];
  approvals: ApprovalService;
  bus: EventBus;
  db: Kysely<Database>;
  /** The app's /readyz checks; the plugin adds `mcp` (never required: it reports `degraded`). */
  healthChecks: HealthCheck[];
  /** Where `${VAR}` in env and headers is read; process.env by default. */
  env?: Record<string, string | undefined>;
  timings?: Partial<UpstreamTimings>;
}

/**
 * The gateway capability: upstream connections (started in the background, so the node is ready at once),
 * the human gate, `GET /api/mcp/servers|tools`, `POST /api/mcp/tools/:name/call`, the `mcp` readiness
 * component and per-server metrics. Everything it opened is closed with the app.
 */
async function gatewayPlugin(app: FastifyInstance, options: McpGatewayPluginOptions): Promise<void> {
  const gate = new ToolCallGate({
    approvals: options.approvals,
    store: new GatedCallStore(options.db),
    bus: options.bus,
    nodeId: `node-${randomBytes(6).toString("hex")}`,
  });
  let metrics: McpGatewayMetrics | undefined;
  const gateway = new McpGateway(options.servers, {
    gate,
    env: options.env,
    timings: options.timings,
    log: app.log,
    observer: { onCall: (server, outcome, ms) => metrics?.observeCall(server, outcome, ms) },
  });
  metrics = new McpGatewayMetrics(
    app.metricsRegistry,
    options.servers.map((entry) => entry.name),
    () => gateway.servers(),
  );
  app.decorate("mcpGateway", gateway);

  options.healthChecks.push({
    name: "mcp",
    required: false,
    async check() {
      const servers = gateway.servers();
      const details = {
        servers: Object.fromEntries(
          servers.map((s) => [
            s.name,
            { status: s.status, breaker: s.breaker, ...(s.error ? { error: s.error } : {}) },
          ]),
        ),
      };
      const notUp = servers.filter((s) => s.status !== "connected" && s.status !== "disabled");
      if (notUp.length === 0) return { details };
      const error = new Error(
        `${notUp.length} of ${servers.length} MCP servers not connected: ${notUp.map((s) => `${s.name} (${s.status})`).join(", ")}`,
      );
      throw Object.assign(error, { details });
    },
  });

  registerGatewayRoutes(app, gateway);
  // Live server status for the Health page (`subscribe_mcp`); the hub closes the channel with the app.
  if (app.hasDecorator("realtimeHub")) app.realtimeHub.register(new McpChannel(gateway));
  app.addHook("onClose", async () => {
    gate.close();
    metrics?.close();
    await gateway.close();
  });
  // Not awaited: connecting may take a while (or never finish for a broken server); /readyz reports
  // `mcp` as degraded meanwhile and the rest of the node serves at once.
  gateway.start();
}

export const mcpGatewayPlugin = fp(gatewayPlugin, { name: "agentboard-mcp-gateway" });
