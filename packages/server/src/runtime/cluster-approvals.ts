import { AgentboardError, type Approval, ApprovalSchema } from "@agentboard/protocol";
import type { ApprovalServiceOptions } from "../approvals/approval-service.js";
import { ApprovalService } from "../approvals/approval-service.js";
import type {
  ApprovalStore,
  CreateApprovalInput,
  CreateApprovalResult,
  TransitionInput,
  TransitionResult,
} from "../approvals/approval-store.js";
import type { WaitOptions } from "../approvals/waiter-registry.js";
import type { Principal } from "../auth/principal.js";
import type { EventBus } from "../events/event-bus.js";
import { KeyedQueue } from "../util/keyed-queue.js";

const keyOf = (workspaceId: string, id: string) => `${workspaceId}\u0000${id}`;

/**
 * The approval service of a cluster node. Transitions are committed by whichever node got the request, so
 * this node also hears the others' (through the bus: `hear`) to wake its own waiters and keep its expiry
 * timers in step — every node arms a timer for every pending deadline, and the expiry is a compare-and-set,
 * so exactly one node's transition wins and one audit row is written.
 *
 * Pub/sub can lose an event (the subscriber reconnected), so the approvals someone waits for on this node are
 * tracked, and `recheckWaits` re-reads them after such a gap: a decision committed meanwhile still wakes them.
 */
export class ClusterApprovalService extends ApprovalService {
  private readonly waited = new Map<string, { workspaceId: string; id: string; waits: number }>();
  private readonly approvalStore: ApprovalStore;

  constructor(options: ApprovalServiceOptions) {
    super(options);
    this.approvalStore = options.store;
  }

  override async wait(principal: Principal, id: string, options: WaitOptions): Promise<Approval> {
    const k = keyOf(principal.workspaceId, id);
    const entry = this.waited.get(k) ?? { workspaceId: principal.workspaceId, id, waits: 0 };
    entry.waits++;
    this.waited.set(k, entry);
    try {
      return await super.wait(principal, id, options);
    } finally {
      if (--entry.waits === 0) this.waited.delete(k);
    }
  }

  /** A create or transition committed on any node: wakes waits here and (re-)arms or disarms the timer. */
  hear(approval: Approval): void {
    this.waiters.notify(approval);
    if (approval.status === "pending" && approval.expiresAt) {
      this.expiry.arm(approval.workspaceId, approval.id, approval.expiresAt);
    } else this.expiry.disarm(approval.workspaceId, approval.id);
  }

  /** Re-reads every approval waited for on this node; waits on one decided meanwhile end now. */
  async recheckWaits(): Promise<void> {
    await Promise.allSettled(
      [...this.waited.values()].map(async ({ workspaceId, id }) => {
        const approval = await this.approvalStore.get(workspaceId, id);
        if (approval) this.waiters.notify(approval);
      }),
    );
  }

  /** Approvals with at least one wait on this node (leak checks). */
  get waitedCount(): number {
    return this.waited.size;
  }
}

/** How long a write that keeps losing the audit head to other nodes is retried before answering 503. */
const CONTENTION_BUDGET_MS = 2_000;

/**
 * The approval store as a cluster node uses it. Every create and transition of a workspace appends to that
 * workspace's one audit chain, whose head moves by compare-and-set; on PostgreSQL (many connections, many
 * nodes) concurrent writers would mostly lose that race and run out of retries. So writes are queued per
 * workspace inside the node (as SQLite's single connection does implicitly), which leaves at most one
 * contender per node, and a write that still runs out of retries against other nodes is tried again,
 * within a time budget, before it becomes a 503. Reads pass straight through.
 */
export class NodeSerializedApprovalStore implements ApprovalStore {
  private readonly queue = new KeyedQueue();

  constructor(private readonly inner: ApprovalStore) {}

  create(input: CreateApprovalInput): Promise<CreateApprovalResult> {
    return this.write(input.approval.workspaceId, () => this.inner.create(input));
  }

  transition(input: TransitionInput): Promise<TransitionResult> {
    return this.write(input.workspaceId, () => this.inner.transition(input));
  }

  get: ApprovalStore["get"] = (...args) => this.inner.get(...args);
  list: ApprovalStore["list"] = (...args) => this.inner.list(...args);
  listPendingWithExpiry: ApprovalStore["listPendingWithExpiry"] = () => this.inner.listPendingWithExpiry();
  auditTrail: ApprovalStore["auditTrail"] = (...args) => this.inner.auditTrail(...args);
  auditWorkspaces: ApprovalStore["auditWorkspaces"] = () => this.inner.auditWorkspaces();
  auditRows: ApprovalStore["auditRows"] = (...args) => this.inner.auditRows(...args);
  auditHead: ApprovalStore["auditHead"] = (...args) => this.inner.auditHead(...args);
  integrityRows: ApprovalStore["integrityRows"] = (...args) => this.inner.integrityRows(...args);
  ping: ApprovalStore["ping"] = () => this.inner.ping();

  private write<T>(workspaceId: string, task: () => Promise<T>): Promise<T> {
    return this.queue.run(workspaceId, async () => {
      const started = performance.now();
      for (;;) {
        try {
          return await task();
        } catch (error) {
          // The store's own "too contended" answer: every attempt rolled back, so trying again is safe.
          const contended = AgentboardError.isInstance(error) && error.code === "unavailable";
          if (!contended || performance.now() - started > CONTENTION_BUDGET_MS) throw error;
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
        }
      }
    });
  }
}

/**
 * Feeds a node's approval service from the cluster bus: every approval event (its own too, which is
 * harmless: waking and arming are idempotent) and every resync. Returns the unsubscribe function.
 */
export function followClusterApprovals(
  approvals: ClusterApprovalService,
  bus: EventBus,
  log: { warn(details: object, message: string): void },
): () => void {
  const offEvents = bus.subscribe("approval", (event) => {
    const parsed = ApprovalSchema.safeParse(event.approval);
    if (!parsed.success) {
      log.warn({ approvalId: event.approval.id }, "ignoring an approval event that does not parse");
      return;
    }
    approvals.hear(parsed.data);
  });
  const offResync = bus.onResync?.(() => {
    approvals.recheckWaits().catch((error: unknown) => log.warn({ err: error }, "re-reading waits failed"));
  });
  return () => {
    offEvents();
    offResync?.();
  };
}
