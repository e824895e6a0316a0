import type { Kysely } from "kysely";
import type { AppServices } from "../app.js";
import type { ApprovalPolicy } from "../approvals/approval-policy.js";
import { DEFAULT_APPROVAL_POLICY } from "../approvals/approval-policy.js";
import { ApprovalService } from "../approvals/approval-service.js";
import type { ApprovalStore } from "../approvals/approval-store.js";
import { KyselyApprovalStore } from "../approvals/kysely-approval-store.js";
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
  /** Wraps the approval store (cluster mode queues writes per workspace inside a node). */
  wrapApprovalStore?: (store: ApprovalStore) => ApprovalStore;
}

/**
 * The services over the stores, wired the same way in both modes: each service registers its bus topics and
 * publishes every durable dashboard commit and approval transition on the bus (in commit order), which the
 * realtime channels, the waiters and the expiry timers follow. The identity, approval and audit queries are
 * one portable Kysely code path for SQLite and PostgreSQL.
 */
export function createServices(
  wiring: ServiceWiring,
): Pick<ServerRuntime, "identity" | "dashboards" | "approvals"> {
  const { db, bus, log } = wiring;
  const identity = new IdentityStore(db);
  const dashboards = new DashboardService({
    store: wiring.dashboardStore,
    patchLogLimit: wiring.patchLogLimit,
    bus,
  });
  const approvals = new ApprovalService({
    store: wiring.wrapApprovalStore?.(new KyselyApprovalStore(db)) ?? new KyselyApprovalStore(db),
    policy: wiring.approvalPolicy ?? DEFAULT_APPROVAL_POLICY,
    bus,
    log,
  });
  return { identity, dashboards, approvals };
}
