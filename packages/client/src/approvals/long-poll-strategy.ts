import { APPROVAL_LIMITS, type Approval } from "@agentboard/protocol";
import { backoffDelay, sleep } from "../backoff.js";
import { ApiRequestError, isTransient } from "../errors.js";
import type { RequestFunction } from "../request.js";
import type { ApprovalWaitStrategy } from "./wait-strategy.js";

/** One long-poll asks the server to hold the request this long at most. */
const MAX_POLL_MS = 30_000;
/** On top of the poll time, for the answer to travel: past this the request is treated as lost. */
const ANSWER_GRACE_MS = 10_000;

/** Pauses between polls that failed or ended early: from about 100 ms, doubling, up to 2 s. */
const RETRY_BACKOFF = { minDelayMs: 100, maxDelayMs: 2_000 };

function retryAfterMs(error: unknown): number {
  const details = ApiRequestError.isInstance(error)
    ? (error.details as { retryAfterMs?: unknown })
    : undefined;
  return typeof details?.retryAfterMs === "number" ? details.retryAfterMs : 0;
}

/**
 * Waits with `GET /api/approvals/:id/wait`, poll after poll, until the approval is decided or the deadline
 * passes. The server answers the instant a decision commits, so this is event-driven on the server side and
 * costs one idle request per 30 s on the client. Connection failures (a server restart) and 503/429 are
 * retried with jittered backoff until the deadline: the decision is stored, so the first successful poll
 * after a restart returns it.
 */
export function longPollStrategy(request: RequestFunction): ApprovalWaitStrategy {
  return {
    name: "long-poll",
    async wait({ approvalId, latest, deadline, signal }) {
      let last = latest;
      let failures = 0;
      for (;;) {
        signal?.throwIfAborted();
        const remaining = deadline - Date.now();
        if (remaining <= 0) return last;
        const pollMs = Math.min(remaining, MAX_POLL_MS, APPROVAL_LIMITS.maxWaitMs);
        const started = Date.now();
        try {
          const approval = await request<Approval>(
            "GET",
            `/api/approvals/${encodeURIComponent(approvalId)}/wait?timeoutMs=${Math.ceil(pollMs)}`,
            undefined,
            { signal, timeoutMs: pollMs + ANSWER_GRACE_MS },
          );
          if (approval.status !== "pending") return approval;
          last = approval;
          // A pending answer well before the poll time means the server let go early (shutting down):
          // pause like after a failure instead of spinning against it.
          if (Date.now() - started >= pollMs / 2) {
            failures = 0;
            continue;
          }
        } catch (error) {
          if (signal?.aborted) throw signal.reason;
          if (!isTransient(error)) throw error;
          const floor = retryAfterMs(error);
          await sleep(
            Math.max(
              0,
              Math.min(Math.max(backoffDelay(++failures, RETRY_BACKOFF), floor), deadline - Date.now()),
            ),
            signal,
          );
          continue;
        }
        await sleep(
          Math.min(backoffDelay(++failures, RETRY_BACKOFF), Math.max(0, deadline - Date.now())),
          signal,
        );
      }
    },
  };
}
