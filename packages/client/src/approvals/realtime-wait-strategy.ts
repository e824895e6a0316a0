import type { Approval } from "@agentboard/protocol";
import { isTransient } from "../errors.js";
import type { RequestFunction } from "../request.js";
import type { ApprovalEvents } from "./approval-events.js";
import { type ApprovalWaitStrategy, WaitStrategyUnavailableError } from "./wait-strategy.js";

/** Without a subscribed socket for this long, the wait moves on to the long-poll. */
const CONNECT_GRACE_MS = 5_000;

/**
 * Event-driven wait over the realtime WebSocket (`subscribe_approvals`): listen first, then read the approval,
 * and read it again after every reconnect, so a decision made before the wait or during an outage is seen.
 * When no socket can be had for a while (proxies that block WebSockets, a server that is down), the wait is
 * handed to the long-poll strategy with the latest known state.
 */
export function realtimeWaitStrategy(
  approvalEvents: ApprovalEvents,
  request: RequestFunction,
): ApprovalWaitStrategy {
  return {
    name: "realtime",
    async wait({ approvalId, latest, deadline, signal }) {
      signal?.throwIfAborted();
      const release = approvalEvents.acquire({ linger: true });
      let off = () => {};
      try {
        return await new Promise<Approval>((resolve, reject) => {
          let last = latest;
          let graceTimer: ReturnType<typeof setTimeout> | undefined;
          const deadlineTimer = setTimeout(
            () => finish(() => resolve(last)),
            Math.max(0, deadline - Date.now()),
          );
          const onAbort = () => finish(() => reject(signal?.reason));
          const finish = (settle: () => void) => {
            clearTimeout(deadlineTimer);
            clearTimeout(graceTimer);
            signal?.removeEventListener("abort", onAbort);
            off();
            settle();
          };
          const handOver = (why: string) => finish(() => reject(new WaitStrategyUnavailableError(why, last)));
          const armGrace = () => {
            clearTimeout(graceTimer);
            graceTimer = setTimeout(() => handOver("no realtime connection"), CONNECT_GRACE_MS);
          };
          const accept = (approval: Approval) => {
            last = approval;
            if (approval.status !== "pending") finish(() => resolve(approval));
          };
          const recheck = () => {
            request<Approval>("GET", `/api/approvals/${encodeURIComponent(approvalId)}`, undefined, {
              signal,
            }).then(accept, (error: unknown) => {
              if (signal?.aborted) return;
              // A restarting server: the next resubscription triggers another check.
              if (!isTransient(error)) finish(() => reject(error));
            });
          };
          off = approvalEvents.on((news) => {
            if (news.kind === "subscribed") {
              clearTimeout(graceTimer);
              recheck();
            } else if (news.kind === "approval" && news.event.approval.id === approvalId) {
              accept(news.event.approval);
            } else if (news.kind === "down") {
              armGrace();
            } else if (news.kind === "fatal") {
              handOver(news.error.message);
            }
          });
          signal?.addEventListener("abort", onAbort, { once: true });
          if (approvalEvents.isSubscribed) recheck();
          else armGrace();
        });
      } finally {
        off();
        void release();
      }
    },
  };
}
