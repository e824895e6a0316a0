import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { type HealthCheck, registerHealthRoutes } from "./health-routes.js";

declare module "fastify" {
  interface FastifyInstance {
    /**
     * The /readyz components. The runtime's store checks come first; a capability adds its own at
     * registration (`app.healthChecks.push(…)`, e.g. the MCP gateway's `mcp`). Read per request.
     */
    healthChecks: HealthCheck[];
  }
}

export interface HealthPluginOptions {
  /** What the runtime opened (sqlite, or redis + postgres). */
  checks: readonly HealthCheck[];
}

/** `/healthz` and `/readyz`. Registered first, so every later capability can add its checks. */
async function health(app: FastifyInstance, options: HealthPluginOptions): Promise<void> {
  const checks = [...options.checks];
  app.decorate("healthChecks", checks);
  registerHealthRoutes(app, checks);
}

export const healthPlugin = fp(health, { name: "agentboard-health" });
