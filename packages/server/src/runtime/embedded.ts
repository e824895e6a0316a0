import { join } from "node:path";
import type { ApprovalPolicy } from "../approvals/approval-policy.js";
import { pollRevocations } from "../auth/revocation-poller.js";
import { SqliteDashboardDirectory } from "../dashboards/sqlite-dashboard-directory.js";
import { type DashboardSync, SqliteDashboardStore } from "../dashboards/sqlite-dashboard-store.js";
import { InProcessEventBus } from "../events/event-bus.js";
import { openSqlite, type SqliteHandle } from "../storage/sqlite.js";
import { createServices, type ServerRuntime } from "./services.js";

export interface EmbeddedRuntime extends ServerRuntime {
  mode: "embedded";
  sqlite: SqliteHandle;
}

export const DATABASE_FILE = "agentboard.sqlite";

/** Opens the embedded stores in `dataDir` (one SQLite file) and wires the services over them. */
export async function openEmbeddedRuntime(options: {
  dataDir: string;
  patchLogLimit: number;
  /** AGENTBOARD_DASHBOARD_SYNC: whether each dashboard commit waits for an fsync. */
  dashboardSync: DashboardSync;
  log: { error(details: object, message: string): void };
  /** Approval routing rules (AGENTBOARD_APPROVAL_*); defaults when omitted. */
  approvalPolicy?: ApprovalPolicy;
  /**
   * Re-arm approval expiry timers (and expire overdue approvals) on open: what a server does. CLI commands
   * that only read or administer the store pass false, so they never change approvals behind a server.
   */
  armApprovalTimers?: boolean;
}): Promise<EmbeddedRuntime> {
  const sqlite = await openSqlite(join(options.dataDir, DATABASE_FILE), { log: options.log });
  const store = new SqliteDashboardStore(sqlite, options.dashboardSync);
  const bus = new InProcessEventBus((error, topic) =>
    options.log.error({ err: error, topic }, "event listener failed"),
  );
  const { identity, dashboards, approvals } = createServices({
    db: sqlite.db,
    dashboardStore: store,
    bus,
    patchLogLimit: options.patchLogLimit,
    approvalPolicy: options.approvalPolicy,
    log: options.log,
  });
  if (options.armApprovalTimers !== false) {
    try {
      await approvals.start();
    } catch (error) {
      approvals.close();
      await sqlite.close();
      throw error;
    }
  }
  // The CLI revokes tokens from another process: the server finds those in the store (see pollRevocations).
  const stopRevocationPolling = pollRevocations({ identity, bus, log: options.log });
  return {
    mode: "embedded",
    sqlite,
    db: sqlite.db,
    identity,
    dashboards,
    dashboardDirectory: new SqliteDashboardDirectory(sqlite.db),
    approvals,
    bus,
    healthChecks: [{ name: "sqlite", required: true, check: () => store.ping() }],
    close: async () => {
      approvals.close();
      await stopRevocationPolling();
      await sqlite.close();
    },
  };
}
