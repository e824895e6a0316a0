import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { EventBus } from "../events/event-bus.js";
import { registerApprovalRoutes } from "./approval-routes.js";
import type { ApprovalService } from "./approval-service.js";
import { ApprovalsChannel } from "./approvals-channel.js";

export interface ApprovalsPluginOptions {
  approvals: ApprovalService;
  bus: EventBus;
}

/**
 * Approvals: `/api/approvals/*` (long-polls end with 401 on revocation) and the realtime channel
 * `approvals`. Its bus topic (`approval`), waiters and expiry timers belong to `ApprovalService`, which the
 * runtime builds and starts (CLI commands use it without an app and without timers).
 */
async function approvals(app: FastifyInstance, options: ApprovalsPluginOptions): Promise<void> {
  app.realtimeHub.register(new ApprovalsChannel(options.bus));
  registerApprovalRoutes(app, options.approvals, app.revocations);
}

export const approvalsPlugin = fp(approvals, {
  name: "agentboard-approvals",
  dependencies: ["agentboard-access", "agentboard-realtime"],
  decorators: { fastify: ["realtimeHub", "revocations"] },
});
