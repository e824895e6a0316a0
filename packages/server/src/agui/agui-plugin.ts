import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { ApprovalService } from "../approvals/approval-service.js";
import type { IdentityStore } from "../auth/identity-store.js";
import { registerOpenCountGauge } from "../observability/metrics.js";
import { registerAguiRoutes } from "./agui-routes.js";
import type { BoardRun } from "./board-run.js";

declare module "fastify" {
  interface FastifyInstance {
    /** The AG-UI runs open on this node (leak checks; `agentboard_agui_open_runs`). */
    aguiRuns: ReadonlySet<BoardRun>;
  }
}

export interface AguiPluginOptions {
  identity: IdentityStore;
  approvals: ApprovalService;
}

/**
 * AG-UI: `POST /api/agui/:dashboardId` streams a dashboard and the caller's approvals to AG-UI front-ends
 * (CopilotKit and others). Each run is a connection of the realtime hub, so it needs no bus topic or channel
 * of its own, and the hub's shutdown ends open runs.
 */
async function agui(app: FastifyInstance, options: AguiPluginOptions): Promise<void> {
  const runs = new Set<BoardRun>();
  app.decorate("aguiRuns", runs);
  registerOpenCountGauge(
    app,
    "agentboard_agui_open_runs",
    "AG-UI runs (SSE streams) open on this node.",
    () => runs.size,
  );
  registerAguiRoutes(app, {
    identity: options.identity,
    approvals: options.approvals,
    hub: app.realtimeHub,
    revocations: app.revocations,
    runs,
  });
}

export const aguiPlugin = fp(agui, {
  name: "agentboard-agui",
  dependencies: ["agentboard-access", "agentboard-realtime", "agentboard-dashboards", "agentboard-approvals"],
  decorators: { fastify: ["realtimeHub", "revocations", "metricsRegistry"] },
});
