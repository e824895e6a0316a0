import type { Kysely } from "kysely";
import type { AppServices } from "../app.js";
import type { ApprovalPolicy } from "../approvals/approval-policy.js";
import { DEFAULT_APPROVAL_POLICY } from "../approvals/approval-policy.js";
import { ApprovalService, type ApprovalServiceOptions } from "../approvals/approval-service.js";
import type { ApprovalStore } from "../approvals/approval-store.js";
import { SqliteApprovalStore } from "../approvals/sqlite-approval-store.js";
import { IdentityStore } from "../auth/identity-store.js";
import { DashboardService } from "../dashboards/dashboard-service.js";
import type { DashboardStore } from "../dashboards/dashboard-store.js";
import type { EventBus } from "../events/event-bus.js";
import type { Database } from "../storage/schema.js";

/** What both runtimes give the app and the CLI: the services over their stores, plus how to close them. */
export interface ServerRuntime extends AppServices {
  mode: "embedded" | "cluster";
  identity: IdentityStore;
  dashboards: DashboardService;
  approvals: ApprovalService;
  /** Carries committed changes and events to the realtime hub and waiters (in-process or Redis pub/sub). */
  bus: EventBus;
  /** The relational store: the SQLite file (embedded) or PostgreSQL (cluster), same schema and queries. */
  db: Kysely<Database>;
  close(): Promise<void>;
}

export interface ServiceWiring {
  db: Kysely<Database>;
  dashboardStore: DashboardStore;
  bus: EventBus;
  patchLogLimit: number;
  approvalPolicy?: ApprovalPolicy;
  log: { error(details: object, message: string): void };
  /** The approval service to use (cluster mode adds cross-node wake-ups); a plain one by default. */
  createApprovals?: (options: ApprovalServiceOptions) => ApprovalService;
  /** Wraps the approval store (cluster mode serialises writes per workspace inside a node). */
  wrapApprovalStore?: (store: ApprovalStore) => ApprovalStore;
}

/**
 * The services over the stores, wired the same way in both modes: every durable dashboard commit and
 * approval transition goes onto the bus (in commit order), which the realtime hub and the waiters follow.
 * The identity, approval and audit queries are one portable Kysely code path for SQLite and PostgreSQL.
 */
export function createServices(
  wiring: ServiceWiring,
): Pick<ServerRuntime, "identity" | "dashboards" | "approvals"> {
  const { db, bus, log } = wiring;
  const identity = new IdentityStore(db);
  const dashboards = new DashboardService({
    store: wiring.dashboardStore,
    patchLogLimit: wiring.patchLogLimit,
    log,
  });
  dashboards.onChange((change) => bus.publish("dashboard", change));
  const approvalOptions: ApprovalServiceOptions = {
    store: wiring.wrapApprovalStore?.(new SqliteApprovalStore(db)) ?? new SqliteApprovalStore(db),
    policy: wiring.approvalPolicy ?? DEFAULT_APPROVAL_POLICY,
    log,
  };
  const approvals = wiring.createApprovals?.(approvalOptions) ?? new ApprovalService(approvalOptions);
  approvals.onEvent(({ event, approval }) =>
    bus.publish("approval", { workspaceId: approval.workspaceId, event, approval }),
  );
  return { identity, dashboards, approvals };
}
