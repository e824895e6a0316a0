import { join } from "node:path";
import { IdentityStore } from "../auth/identity-store.js";
import { DashboardService } from "../dashboards/dashboard-service.js";
import { SqliteDashboardStore } from "../dashboards/sqlite-dashboard-store.js";
import type { HealthCheck } from "../health/health-routes.js";
import { openSqlite, type SqliteHandle } from "../storage/sqlite.js";

export interface EmbeddedRuntime {
  sqlite: SqliteHandle;
  identity: IdentityStore;
  dashboards: DashboardService;
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
  return {
    sqlite,
    identity,
    dashboards,
    healthChecks: [{ name: "sqlite", required: true, check: () => store.ping() }],
    close: () => sqlite.close(),
  };
}
