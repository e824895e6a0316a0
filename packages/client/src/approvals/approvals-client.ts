import {
  type Approval,
  type ApprovalListResponse,
  type ApprovalStatus,
  type AuditEntry,
  type BulkDecisionResponse,
  type CreateApprovalBody,
  CreateApprovalBodySchema,
  StateValidationError,
  toValidationIssues,
} from "@agentboard/protocol";
import type { RequestFunction, RequestOptions } from "../request.js";
import { IdempotencyKeyReusedError, settleOutcome } from "./approval-errors.js";
import type { ApprovalFeed } from "./approval-feed.js";
import { longPollStrategy } from "./long-poll-strategy.js";
import { type ApprovalWaitStrategy, waitWithStrategies } from "./wait-strategy.js";

/** A wait with no `timeoutMs` on an approval that never expires ends after a day (then WaitTimeoutError). */
const DEFAULT_WAIT_MS = 24 * 3_600_000;
/** …and on one that expires, this long after `expiresAt`, leaving the server time to expire it. */
const EXPIRY_GRACE_MS = 60_000;

export interface ApprovalWaitOptions {
  /**
   * Give up (WaitTimeoutError, approval still pending) after this long. Default: until `expiresAt` plus a
   * minute when the approval expires, else 24 hours.
   */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A request the caller can wait on. */
export interface ApprovalHandle {
  readonly id: string;
  /** The approval as last seen (updated by `wait`). */
  readonly approval: Approval;
  /**
   * Resolves with the approval when it is approved or auto-approved; rejects with ApprovalRejectedError,
   * ApprovalCancelledError (with `.reason`), ApprovalExpiredError, WaitTimeoutError (still pending), the
   * signal's reason on abort, or an ApiRequestError the server answered with (e.g. not_found).
   */
  wait(options?: ApprovalWaitOptions): Promise<Approval>;
}

export interface ListApprovalsOptions extends RequestOptions {
  status?: ApprovalStatus;
  type?: string;
  limit?: number;
  cursor?: string;
}

export interface ApprovalsClient {
  /**
   * Asks for a decision; the server routes it by policy (it may come back `auto_approved`). Sent once, never
   * retried here. With an `idempotencyKey` already used by this principal for a different request it rejects
   * with IdempotencyKeyReusedError.
   */
  request(input: CreateApprovalBody, options?: RequestOptions): Promise<ApprovalHandle>;
  /** A handle for an approval created earlier (e.g. by this agent before it restarted). */
  handle(id: string, options?: RequestOptions): Promise<ApprovalHandle>;
  get(id: string, options?: RequestOptions): Promise<Approval>;
  list(options?: ListApprovalsOptions): Promise<ApprovalListResponse>;
  approve(id: string, reason?: string, options?: RequestOptions): Promise<Approval>;
  reject(id: string, reason?: string, options?: RequestOptions): Promise<Approval>;
  cancel(id: string, reason?: string, options?: RequestOptions): Promise<Approval>;
  bulk(
    ids: string[],
    decision: "approve" | "reject",
    reason?: string,
    options?: RequestOptions,
  ): Promise<BulkDecisionResponse>;
  events(id: string, options?: RequestOptions): Promise<AuditEntry[]>;
  /**
   * Live approval events for a UI, over the board client's realtime connection: listen to `approval`, and
   * read the list again on every `live` (nothing that happened while the feed was down is replayed).
   * `close()` it when done.
   */
  feed(): ApprovalFeed;
}

export interface ApprovalsClientOptions {
  /**
   * How `wait()` learns of decisions, tried in order. Default: the long-poll endpoint alone;
   * `createBoardClient` puts the realtime WebSocket strategy in front of it.
   */
  waitStrategies?: readonly ApprovalWaitStrategy[];
  /** Opens a live feed; `createBoardClient` provides it (without one, `feed()` throws). */
  openFeed?: () => ApprovalFeed;
}

const path = (id: string, suffix = "") => `/api/approvals/${encodeURIComponent(id)}${suffix}`;

export function createApprovalsClient(
  request: RequestFunction,
  options: ApprovalsClientOptions = {},
): ApprovalsClient {
  const strategies = options.waitStrategies ?? [longPollStrategy(request)];

  const makeHandle = (initial: Approval): ApprovalHandle => {
    let latest = initial;
    return {
      id: initial.id,
      get approval() {
        return latest;
      },
      async wait(waitOptions = {}) {
        const { signal } = waitOptions;
        signal?.throwIfAborted();
        const timeoutMs = waitOptions.timeoutMs ?? defaultTimeout(latest);
        if (latest.status === "pending") {
          latest = await waitWithStrategies(strategies, {
            approvalId: latest.id,
            latest,
            deadline: Date.now() + timeoutMs,
            signal,
          });
        }
        return settleOutcome(latest, timeoutMs);
      },
    };
  };

  const get = (id: string, o?: RequestOptions) => request<Approval>("GET", path(id), undefined, o);
  const decide = (id: string, what: "approve" | "reject", reason?: string, o?: RequestOptions) =>
    request<Approval>("POST", path(id, `/${what}`), reason === undefined ? {} : { reason }, o);

  return {
    async request(input, o) {
      // Fail fast, with the server's own words, before a round trip.
      const parsed = CreateApprovalBodySchema.safeParse(input);
      if (!parsed.success)
        throw new StateValidationError(toValidationIssues(parsed.error), "approval request");
      try {
        return makeHandle(await request<Approval>("POST", "/api/approvals", input, o));
      } catch (error) {
        if (input.idempotencyKey !== undefined && IdempotencyKeyReusedError.matches(error)) {
          throw new IdempotencyKeyReusedError(error, input.idempotencyKey);
        }
        throw error;
      }
    },
    handle: async (id, o) => makeHandle(await get(id, o)),
    get,
    list: (o = {}) => {
      const query = new URLSearchParams();
      if (o.status) query.set("status", o.status);
      if (o.type) query.set("type", o.type);
      if (o.limit !== undefined) query.set("limit", String(o.limit));
      if (o.cursor) query.set("cursor", o.cursor);
      const qs = query.toString();
      return request<ApprovalListResponse>("GET", `/api/approvals${qs ? `?${qs}` : ""}`, undefined, o);
    },
    approve: (id, reason, o) => decide(id, "approve", reason, o),
    reject: (id, reason, o) => decide(id, "reject", reason, o),
    cancel: (id, reason, o) =>
      request<Approval>("DELETE", path(id), reason === undefined ? {} : { reason }, o),
    bulk: (ids, decision, reason, o) =>
      request<BulkDecisionResponse>(
        "POST",
        "/api/approvals/bulk",
        { ids, decision, ...(reason === undefined ? {} : { reason }) },
        o,
      ),
    events: (id, o) => request<AuditEntry[]>("GET", path(id, "/events"), undefined, o),
    feed: () => {
      if (!options.openFeed) throw new Error("approval feeds need a realtime connection (createBoardClient)");
      return options.openFeed();
    },
  };
}

function defaultTimeout(approval: Approval): number {
  if (!approval.expiresAt) return DEFAULT_WAIT_MS;
  return Math.max(0, Date.parse(approval.expiresAt) + EXPIRY_GRACE_MS - Date.now());
}
