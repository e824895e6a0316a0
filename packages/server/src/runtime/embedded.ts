import { join } from "node:path";
import { type ApprovalPolicy, DEFAULT_APPROVAL_POLICY } from "../approvals/approval-policy.js";
import { ApprovalService } from "../approvals/approval-service.js";
import { SqliteApprovalStore } from "../approvals/sqlite-approval-store.js";
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
  approvals: ApprovalService;
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
  /** Approval routing rules (AGENTBOARD_APPROVAL_*); defaults when omitted. */
  approvalPolicy?: ApprovalPolicy;
  /**
   * Re-arm approval expiry timers (and expire overdue approvals) on open: what a server does. CLI commands
   * that only read or administer the store pass false, so they never change approvals behind a server.
   */
  armApprovalTimers?: boolean;
}): Promise<EmbeddedRuntime> {
  const sqlite = await openSqlite(join(options.dataDir, DATABASE_FILE));
  const identity = new IdentityStore(sqlite.db);
  const store = new SqliteDashboardStore(sqlite.db);
  const dashboards = new DashboardService({ store, patchLogLimit: options.patchLogLimit, log: options.log });
  const bus = new InProcessEventBus((error, topic) =>
    options.log.error({ err: error, topic }, "event listener failed"),
  );
  dashboards.onChange((change) => bus.publish("dashboard", change));
  const approvals = new ApprovalService({
    store: new SqliteApprovalStore(sqlite.db),
    policy: options.approvalPolicy ?? DEFAULT_APPROVAL_POLICY,
    log: options.log,
  });
  approvals.onEvent(({ event, approval }) =>
    bus.publish("approval", { workspaceId: approval.workspaceId, event, approval }),
  );
  if (options.armApprovalTimers !== false) {
    try {
      await approvals.start();
    } catch (error) {
      approvals.close();
      await sqlite.close();
      throw error;
    }
  }
  return {
    sqlite,
    identity,
    dashboards,
    approvals,
    bus,
    healthChecks: [{ name: "sqlite", required: true, check: () => store.ping() }],
    close: async () => {
      approvals.close();
      await sqlite.close();
    },
  };
}
