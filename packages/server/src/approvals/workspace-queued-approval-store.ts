import { AgentboardError } from "@agentboard/protocol";
import { KeyedQueue } from "../util/keyed-queue.js";
import type {
  ApprovalStore,
  CreateApprovalInput,
  CreateApprovalResult,
  TransitionInput,
  TransitionResult,
} from "./approval-store.js";

/** How long a write that keeps losing the audit head to other nodes is retried before answering 503. */
const CONTENTION_BUDGET_MS = 2_000;

/**
 * An approval store whose writes are queued per workspace inside this process: what a cluster node uses.
 * Every create and transition of a workspace appends to that workspace's one audit chain, whose head moves
 * by compare-and-set; on PostgreSQL (many connections, many nodes) concurrent writers would mostly lose that
 * race and run out of retries. Queuing per workspace (as SQLite's single connection does implicitly) leaves
 * at most one contender per node, and a write that still runs out of retries against other nodes is tried
 * again, within a time budget, before it becomes a 503. Reads pass straight through.
 */
export class WorkspaceQueuedApprovalStore implements ApprovalStore {
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
