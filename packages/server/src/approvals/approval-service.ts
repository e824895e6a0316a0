import { createHash } from "node:crypto";
import {
  AgentboardError,
  type Approval,
  type ApprovalEvent,
  type ApprovalEventName,
  type ApprovalListResponse,
  type AuditEntry,
  type BulkDecisionBody,
  type BulkDecisionResponse,
  type CreateApprovalBody,
  canonicalJson,
  type ListApprovalsQuery,
} from "@agentboard/protocol";
import { type Principal, principalRef } from "../auth/principal.js";
import { newId } from "../auth/secrets.js";
import { conflict, invalid, notFound } from "../errors/agentboard-errors.js";
import type { EventBus } from "../events/event-bus.js";
import {
  assertCanCancel,
  assertCanDecide,
  assertCanRequest,
  assertMayDecide,
  canSee,
} from "./approval-permissions.js";
import { type ApprovalPolicy, routeApproval } from "./approval-policy.js";
import type { ApprovalStore, TransitionInput } from "./approval-store.js";
import { approvalTopic } from "./approval-topic.js";
import { actionHash } from "./audit-chain.js";
import { type ExpireOutcome, ExpiryScheduler } from "./expiry-scheduler.js";
import { decodeCursor, encodeCursor } from "./list-cursor.js";
import { WaiterRegistry, type WaitOptions } from "./waiter-registry.js";

export interface ApprovalServiceOptions {
  store: ApprovalStore;
  policy: ApprovalPolicy;
  /**
   * Every durable create and transition is published here (topic `approval`); this service's waiters and
   * expiry timers follow the same topic, so they hear this node's events and, in cluster mode, the others'.
   */
  bus: EventBus;
  now?: () => Date;
  log: { error(details: object, message: string): void };
}

type Decision = "approve" | "reject";

/** A transition out of pending, as the service decides it; the store adds position, version and time. */
interface PlannedTransition {
  to: TransitionInput["to"];
  decidedBy?: TransitionInput["decidedBy"];
  reason?: string;
  actor: string;
  event: ApprovalEventName;
}

/** Given the current state: either it already is the wanted outcome (`done`), or the transition to run. */
type Plan = (approval: Approval) => { done: Approval } | PlannedTransition;

/** SHA-256 (hex) of the canonical JSON of a request body: key order and whitespace do not change it. */
function contentHash(content: unknown): string {
  return createHash("sha256").update(canonicalJson(content), "utf8").digest("hex");
}

/** Audit actors of transitions no principal made. */
const EXPIRY_ACTOR = "system:expiry";

/**
 * The approval lifecycle: create (routed by policy) → one compare-and-set transition to a terminal status
 * (approve, reject, cancel, expire), each durable with its audit row before it is published on the bus.
 * Consumers — the waiters and expiry timers here, the realtime approvals channel — subscribe to the bus, one
 * path in both modes: the in-process bus delivers this node's events, the cluster bus every node's, each
 * once (a node drops its own frames when Redis echoes them back).
 */
export class ApprovalService {
  /** Open waits (long-polls and in-process waits); read for leak checks. */
  readonly waiters: WaiterRegistry;
  /** Armed expiry timers; read for leak checks. */
  readonly expiry: ExpiryScheduler;
  private readonly bus: EventBus;
  private readonly unsubscribe: Array<() => void>;
  private readonly store: ApprovalStore;
  private readonly policy: ApprovalPolicy;
  private readonly now: () => Date;
  private readonly log: ApprovalServiceOptions["log"];

  constructor(options: ApprovalServiceOptions) {
    this.store = options.store;
    this.policy = options.policy;
    this.now = options.now ?? (() => new Date());
    this.log = options.log;
    this.bus = options.bus;
    this.bus.topics.register(approvalTopic);
    this.waiters = new WaiterRegistry((workspaceId, id) => this.store.get(workspaceId, id));
    this.expiry = new ExpiryScheduler({
      expire: (workspaceId, id) => this.expireIfDue(workspaceId, id),
      now: () => this.now().getTime(),
      log: this.log,
    });
    this.unsubscribe = [
      this.bus.subscribe("approval", ({ approval }) => this.hear(approval)),
      // Cluster bus only: events may have been lost (pub/sub reconnected), so waits re-read their approval.
      ...(this.bus.onResync ? [this.bus.onResync(() => void this.waiters.recheck())] : []),
    ];
  }

  /**
   * Every approval event this node hears, in commit order per approval: its own commits and, in cluster
   * mode, the other nodes'. A subscription to the bus's `approval` topic; returns the unsubscribe function.
   */
  onEvent(listener: (event: ApprovalEvent) => void): () => void {
    return this.bus.subscribe("approval", ({ event, approval }) => listener({ event, approval }));
  }

  /**
   * Re-arms the expiry timers of every pending approval with a deadline. Deadlines that passed while no
   * server ran are expired before this returns, so the first request after a start already sees them.
   */
  async start(): Promise<void> {
    const nowMs = this.now().getTime();
    for (const { workspaceId, id, expiresAt } of await this.store.listPendingWithExpiry()) {
      if (Date.parse(expiresAt) <= nowMs) {
        try {
          const outcome = await this.expireIfDue(workspaceId, id);
          if (!outcome.done) this.expiry.arm(workspaceId, id, outcome.expiresAt);
        } catch (error) {
          this.log.error({ err: error, approvalId: id }, "expiring an overdue approval at start failed");
          this.expiry.arm(workspaceId, id, expiresAt);
        }
      } else this.expiry.arm(workspaceId, id, expiresAt);
    }
  }

  /**
   * Answers every open wait with what it knows (the pending approval, as at a timeout) and refuses new ones:
   * at shutdown, open long-polls end at once and their clients retry against the next server.
   */
  releaseWaits(): void {
    this.waiters.releaseAll();
  }

  /** Stops the timers and answers open waits (as at their timeout); nothing runs after this. */
  close(): void {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    this.expiry.close();
    this.waiters.releaseAll();
  }

  /**
   * Stores a new request, routed by policy. An idempotency key belongs to the principal that used it and is
   * bound to the request's content (the body without the key, as canonical JSON, hashed): the same principal
   * repeating the same request gets the first approval back (`created: false`); the same principal reusing
   * the key for different content is `invalid` (`idempotency_key_reused`), because answering it with the
   * first request's decision could run an action nobody approved; another principal's same key is simply
   * another request.
   */
  async create(
    principal: Principal,
    body: CreateApprovalBody,
  ): Promise<{ approval: Approval; created: boolean }> {
    assertCanRequest(principal);
    const createdAt = this.now();
    const action = {
      ...(body.action?.tool !== undefined ? { tool: body.action.tool } : {}),
      ...(body.action?.args !== undefined ? { args: body.action.args } : {}),
    };
    const argsHash = actionHash(action);
    const { idempotencyKey, ...content } = body;
    const requestHash = idempotencyKey === undefined ? undefined : contentHash(content);
    const routing = routeApproval({ type: body.type, confidence: body.confidence }, this.policy);
    const pending = routing.status === "pending";
    const expiresInSec = body.expiresInSec ?? (this.policy.defaultExpirySec || undefined);
    const expiresAt =
      pending && expiresInSec !== undefined
        ? new Date(createdAt.getTime() + expiresInSec * 1000).toISOString()
        : undefined;
    const onTimeout = body.onTimeout ?? this.policy.onTimeout;
    const at = createdAt.toISOString();
    const approval: Approval = {
      id: newId("apr"),
      workspaceId: principal.workspaceId,
      type: body.type,
      title: body.title,
      ...(body.description !== undefined ? { description: body.description } : {}),
      action,
      argsHash,
      ...(body.confidence !== undefined ? { confidence: body.confidence } : {}),
      priority: body.priority ?? "normal",
      route: routing.route,
      status: routing.status,
      requestedBy: { kind: principal.kind, id: principal.id },
      ...(pending ? {} : { reason: routing.reason }),
      createdAt: at,
      ...(expiresAt ? { expiresAt, onTimeout } : {}),
      ...(pending ? {} : { decidedAt: at }),
      version: 1,
    };
    const result = await this.store.create({
      approval,
      onTimeout,
      idempotencyKey,
      requestHash,
      audit: {
        at,
        actor: principalRef(principal),
        event: "created",
        reason: routing.reason,
        details: {
          ...routing.inputs,
          route: routing.route,
          argsHash,
          expiresAt: expiresAt ?? null,
          onTimeout,
        },
      },
    });
    if (!result.created) {
      const first = result.approval;
      const sameRequest =
        result.requestHash !== null
          ? result.requestHash === requestHash
          : // A row from before request hashes were stored: compare what it can still be compared on.
            first.type === approval.type && first.argsHash === argsHash;
      if (!sameRequest) {
        throw invalid("this idempotencyKey was already used by you for a different request", {
          reason: "idempotency_key_reused",
          id: first.id,
        });
      }
      return { approval: first, created: false };
    }
    this.emit("created", result.approval);
    return { approval: result.approval, created: true };
  }

  async get(principal: Principal, id: string): Promise<Approval> {
    const approval = await this.store.get(principal.workspaceId, id);
    if (!approval || !canSee(principal, approval)) throw notFound(`no approval "${id}" in this workspace`);
    return approval;
  }

  async list(principal: Principal, query: ListApprovalsQuery): Promise<ApprovalListResponse> {
    const { items, next } = await this.store.list(principal.workspaceId, {
      status: query.status,
      type: query.type,
      requestedById: principal.kind === "agent" ? principal.id : undefined,
      limit: query.limit,
      after: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
    });
    return { items, nextCursor: next ? encodeCursor(next) : null };
  }

  approve(principal: Principal, id: string, reason?: string): Promise<Approval> {
    return this.decide(principal, id, "approve", reason);
  }

  reject(principal: Principal, id: string, reason?: string): Promise<Approval> {
    return this.decide(principal, id, "reject", reason);
  }

  /** Cancelling an already cancelled approval answers with it again: a repeated cancel is not an error. */
  async cancel(principal: Principal, id: string, reason?: string): Promise<Approval> {
    const current = await this.get(principal, id);
    assertCanCancel(principal, current);
    return this.transition(current, (approval) =>
      approval.status === "cancelled"
        ? { done: approval }
        : {
            to: "cancelled",
            decidedBy: { kind: principal.kind, id: principal.id },
            reason,
            actor: principalRef(principal),
            event: "cancelled",
          },
    );
  }

  /** Each id is decided on its own (its own compare-and-set); one failing item does not stop the others. */
  async bulk(principal: Principal, body: BulkDecisionBody): Promise<BulkDecisionResponse> {
    assertMayDecide(principal);
    const results: BulkDecisionResponse["results"] = [];
    for (const id of body.ids) {
      try {
        results.push({
          id,
          ok: true,
          approval: await this.decide(principal, id, body.decision, body.reason),
        });
      } catch (error) {
        if (!AgentboardError.isInstance(error)) throw error;
        results.push({ id, ok: false, error: error.toJSON() });
      }
    }
    return { results };
  }

  /** Long-poll: the approval once it is no longer pending, or the pending one after `timeoutMs`. */
  async wait(principal: Principal, id: string, options: WaitOptions): Promise<Approval> {
    // Visibility first (agents wait only on their own requests); the registry then subscribes and reads.
    await this.get(principal, id);
    return this.waiters.wait(principal.workspaceId, id, options);
  }

  async auditTrail(principal: Principal, id: string): Promise<AuditEntry[]> {
    await this.get(principal, id);
    return this.store.auditTrail(principal.workspaceId, id);
  }

  /** The expiry timer's transition: `expired`, or `rejected` ("timed out") when the request said so. */
  async expireIfDue(workspaceId: string, id: string): Promise<ExpireOutcome> {
    const current = await this.store.get(workspaceId, id);
    if (current?.status !== "pending" || !current.expiresAt) return { done: true };
    if (Date.parse(current.expiresAt) > this.now().getTime())
      return { done: false, expiresAt: current.expiresAt };
    const reject = current.onTimeout === "reject";
    const reason = reject ? "timed out" : undefined;
    // If a decision wins the race, the re-read state is no longer pending and the expiry simply stops.
    await this.transition(current, (approval) =>
      approval.status !== "pending"
        ? { done: approval }
        : { to: reject ? "rejected" : "expired", reason, actor: EXPIRY_ACTOR, event: "expired" },
    );
    return { done: true };
  }

  private async decide(
    principal: Principal,
    id: string,
    decision: Decision,
    reason?: string,
  ): Promise<Approval> {
    const current = await this.get(principal, id);
    assertCanDecide(principal, current);
    return this.transition(current, () => ({
      to: decision === "approve" ? "approved" : "rejected",
      decidedBy: { kind: principal.kind, id: principal.id },
      reason,
      actor: principalRef(principal),
      event: "decided",
    }));
  }

  /**
   * Runs one compare-and-set transition from the pending state `plan` is given. If another transition
   * won in between, the re-read state goes through `plan` again, which either accepts it (`done`, e.g. an
   * idempotent cancel) or — being no longer pending — answers 409 with the status that won.
   */
  private async transition(current: Approval, plan: Plan): Promise<Approval> {
    let approval = current;
    for (;;) {
      const step = plan(approval);
      if ("done" in step) return step.done;
      if (approval.status !== "pending") {
        throw conflict(`approval ${approval.id} is already ${approval.status}`, { status: approval.status });
      }
      const result = await this.store.transition({
        workspaceId: approval.workspaceId,
        id: approval.id,
        expectedVersion: approval.version,
        to: step.to,
        decidedBy: step.decidedBy,
        reason: step.reason,
        audit: { at: this.now().toISOString(), actor: step.actor, event: step.event, reason: step.reason },
      });
      if (result.ok) {
        this.emit(step.event, result.approval);
        return result.approval;
      }
      if (!result.current) throw notFound(`no approval "${approval.id}" in this workspace`);
      approval = result.current;
    }
  }

  /** A create or transition committed on any node: wakes its waits here and (re-)arms or disarms its timer. */
  private hear(approval: Approval): void {
    this.waiters.notify(approval);
    if (approval.status === "pending" && approval.expiresAt) {
      this.expiry.arm(approval.workspaceId, approval.id, approval.expiresAt);
    } else this.expiry.disarm(approval.workspaceId, approval.id);
  }

  /** After the commit. The bus isolates its listeners: a failing one cannot fail the decider's request. */
  private emit(event: ApprovalEventName, approval: Approval): void {
    this.bus.publish("approval", { workspaceId: approval.workspaceId, event, approval });
  }
}
