import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { IdentityStore } from "../auth/identity-store.js";
import type { EventBus } from "../events/event-bus.js";
import { DashboardChannel } from "./dashboard-channel.js";
import type { DashboardDirectory } from "./dashboard-directory.js";
import { registerDashboardRoutes } from "./dashboard-routes.js";
import type { DashboardService } from "./dashboard-service.js";
import { registerDirectoryRoutes } from "./directory-routes.js";
import { RefreshChannel } from "./refresh-channel.js";
import { WidgetRefresher } from "./widget-refresher.js";
import { WidgetSources } from "./widget-source-runner.js";

declare module "fastify" {
  interface FastifyInstance {
    /** Runners of widgets' bound sources by kind; mesh and the MCP gateway register theirs (app.ts). */
    widgetSources: WidgetSources;
  }
}

export interface DashboardsPluginOptions {
  dashboards: DashboardService;
  dashboardDirectory: DashboardDirectory;
  identity: IdentityStore;
  bus: EventBus;
  /** AGENTBOARD_REFRESH_TIMEOUT_MS: how long a widget refresh waits for its writer. */
  refreshTimeoutMs: number;
  /** AGENTBOARD_SOURCE_MAX_BYTES: the largest data a widget's bound source may return. */
  sourceMaxBytes: number;
}

/**
 * Dashboards: `/api/dashboards/*` (documents, widgets, refresh) and `GET /api/dashboards`, the widget
 * refresher, and the realtime channels `dashboards` and `refresh`. Its bus topics (`dashboard`, `refresh`)
 * are registered by `DashboardService`, which the runtime builds (the CLI and the TTL sweep use it too).
 */
async function dashboards(app: FastifyInstance, options: DashboardsPluginOptions): Promise<void> {
  const sources = new WidgetSources();
  app.decorate("widgetSources", sources);
  const refresher = new WidgetRefresher({
    dashboards: options.dashboards,
    bus: options.bus,
    timeoutMs: options.refreshTimeoutMs,
    sourceMaxBytes: options.sourceMaxBytes,
    sources,
    log: app.log,
  });
  app.addHook("preClose", async () => refresher.close());
  const dashboardChannel = new DashboardChannel({
    bus: options.bus,
    dashboards: options.dashboards,
    identity: options.identity,
    log: app.log,
  });
  // The hub closes its channels (they leave the bus) when it closes.
  app.realtimeHub.register(dashboardChannel);
  app.realtimeHub.register(new RefreshChannel(options.bus, dashboardChannel));
  registerDashboardRoutes(app, options.dashboards, options.identity, refresher);
  registerDirectoryRoutes(app, options.identity, options.dashboardDirectory);
}

export const dashboardsPlugin = fp(dashboards, {
  name: "agentboard-dashboards",
  dependencies: ["agentboard-realtime"],
  decorators: { fastify: ["realtimeHub"] },
});
