import { join } from "node:path";
import { IdentityStore } from "../auth/identity-store.js";
import { DashboardService } from "../dashboards/dashboard-service.js";
import { SqliteDashboardStore } from "../dashboards/sqlite-dashboard-store.js";
import type { HealthCheck } from "../health/health-routes.js";
import { type EventBus, InProcessEventBus } from "../realtime/event-bus.js";
import { openSqlite, type SqliteHandle } from "../storage/sqlite.js";

export interface EmbeddedRuntime {
  sqlite: SqliteHandle;
  identity: IdentityStore;
  dashboards: DashboardService;
  /** Carries committed changes and events to the realtime hub and waiters (in-process when embedded). */
  bus: EventBus;
  healthChecks: HealthCheck[];
  close(): Promise<void>;
}

export const DATABASE_FILE = "agentboard.sqlite";

/** Opens the embedded stores in `dataDir` (one SQLite file) and wires the services over them. */
export async function openEmbeddedRuntime(options: {
  dataDir: string;
  patchLogLimit: number;
  log: { error(details: object, message: string): void };
}): Promise<EmbeddedRuntime> {
  const sqlite = await openSqlite(join(options.dataDir, DATABASE_FILE));
  const identity = new IdentityStore(sqlite.db);
  const store = new SqliteDashboardStore(sqlite.db);
  const dashboards = new DashboardService({ store, patchLogLimit: options.patchLogLimit, log: options.log });
  const bus = new InProcessEventBus((error, topic) =>
    options.log.error({ err: error, topic }, "event listener failed"),
  );
  dashboards.onChange((change) => bus.publish("dashboard", change));
  return {
    sqlite,
    identity,
    dashboards,
    bus,
    healthChecks: [{ name: "sqlite", required: true, check: () => store.ping() }],
    close: () => sqlite.close(),
  };
}
