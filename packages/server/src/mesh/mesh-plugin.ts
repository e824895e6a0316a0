import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { Kysely } from "kysely";
import { Counter, Gauge, Histogram } from "prom-client";
import type { EventBus } from "../events/event-bus.js";
import type { HealthCheck } from "../health/health-routes.js";
import type { Database } from "../storage/schema.js";
import { AgentDirectory } from "./agent-directory.js";
import { AgentsChannel } from "./agents-channel.js";
import { registerAgentsRoutes } from "./agents-routes.js";
import { AgentProber } from "./prober.js";
import type { SweepLock } from "./sweep-lock.js";

declare module "fastify" {
  interface FastifyInstance {
    /** The agent directory (`/api/agents`, `subscribe_agents`). */
    agentDirectory: AgentDirectory;
    /** The health prober of remote agents; `sweep()` runs one sweep now. */
    agentProber: AgentProber;
  }
}

export interface MeshPluginOptions {
  db: Kysely<Database>;
  bus: EventBus;
  /** The app's /readyz checks; the plugin adds `mesh` (never required: it reports `degraded`). */
  healthChecks: HealthCheck[];
  /** Card URLs may point at loopback and private networks (tests, a LAN mesh); metadata stays blocked. */
  allowPrivateNetwork: boolean;
  probeIntervalMs: number;
  probeTimeoutMs: number;
  /** Cluster mode: the Redis lease that makes one node per cluster sweep. */
  sweepLock?: SweepLock;
}

/**
 * The agent mesh's directory and health (issue 16): `GET|POST /api/agents`, `PATCH|DELETE /api/agents/:id`,
 * the `subscribe_agents` channel, the prober on its schedule, the `mesh` readiness component and metrics.
 */
async function meshCapability(app: FastifyInstance, options: MeshPluginOptions): Promise<void> {
  const hub = app.hasDecorator("realtimeHub") ? app.realtimeHub : undefined;
  const directory = new AgentDirectory(
    options.db,
    options.bus,
    () => hub?.connectedPrincipalIds() ?? new Set(),
  );
  const registry = app.metricsRegistry;
  const probes = new Counter({
    name: "agentboard_agent_probes_total",
    help: "Health probes of remote A2A agents, by outcome (ok, failed).",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const sweeps = new Histogram({
    name: "agentboard_agent_sweep_duration_seconds",
    help: "Duration of one health sweep over the remote A2A agents, in seconds.",
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const agentsByStatus = new Gauge({
    name: "agentboard_agents",
    help: "Remote A2A agents by health status (as of the last sweep of any node).",
    labelNames: ["status"] as const,
    registers: [registry],
  });
  const prober = new AgentProber({
    directory,
    intervalMs: options.probeIntervalMs,
    timeoutMs: options.probeTimeoutMs,
    lock: options.sweepLock,
    allowPrivateNetwork: options.allowPrivateNetwork,
    privateOrigins: directory.ownAgentOrigins,
    log: app.log,
    observer: {
      onProbe: (outcome) => probes.inc({ outcome }),
      onSweep: (_agents, ms) => {
        sweeps.observe(ms / 1000);
        void countByStatus(options.db)
          .then((counts) => {
            for (const status of ["healthy", "degraded", "unhealthy", "unknown"])
              agentsByStatus.set({ status }, counts[status] ?? 0);
          })
          .catch(() => {});
      },
    },
  });
  app.decorate("agentDirectory", directory);
  app.decorate("agentProber", prober);

  options.healthChecks.push({
    name: "mesh",
    required: false,
    async check() {
      const counts = await countByStatus(options.db);
      const details = { agents: counts };
      const unhealthy = counts.unhealthy ?? 0;
      if (unhealthy === 0) return { details };
      throw Object.assign(new Error(`${unhealthy} remote agent(s) unhealthy`), { details });
    },
  });

  registerAgentsRoutes(app, directory, {
    allowPrivateNetwork: options.allowPrivateNetwork,
    privateOrigins: directory.ownAgentOrigins,
    timeoutMs: options.probeTimeoutMs,
  });
  if (hub) hub.register(new AgentsChannel(directory, options.bus));
  app.addHook("onReady", async () => prober.start());
  app.addHook("onClose", async () => prober.close());
}

/** Remote agents by status, every workspace (counts only: /readyz needs no credentials). */
async function countByStatus(db: Kysely<Database>): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom("agents")
    .select(({ fn }) => ["status", fn.countAll<number>().as("count")])
    .where("kind", "=", "a2a")
    .groupBy("status")
    .execute();
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.count)]));
}

export const meshPlugin = fp(meshCapability, { name: "agentboard-mesh" });
