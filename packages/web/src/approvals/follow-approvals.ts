import { AgentboardError } from "@agentboard/protocol";
import { board } from "../lib/api";
import { describeError } from "../lib/errors";
import { notify } from "../lib/notices-store";
import { sessionEnded } from "../session/session-controller";
import { applyApproval, approvalsStore, replacePending } from "./approvals-store";

const LIST_PAGE = 100;
const MAX_PAGES = 10;

/** Reads every pending approval (newest first from the server, re-ordered for triage by the store). */
export async function loadPending(): Promise<void> {
  const items = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await board.approvals.list({ status: "pending", limit: LIST_PAGE, cursor });
    items.push(...result.items);
    if (!result.nextCursor) break;
    cursor = result.nextCursor;
  }
  replacePending(items);
}

/**
 * Keeps the inbox store in step with the SDK's approval feed (`board.approvals.feed()`, on the same realtime
 * connection as the dashboard): every event goes into the store, and after every (re)subscription the
 * pending list is read again — the feed subscribes first, then we read — so nothing decided in a gap is
 * missed. Returns the function that stops it.
 */
export function followApprovals(): () => void {
  const feed = board.approvals.feed();
  feed.on("status", (status) => {
    if (status === "connecting" || status === "reconnecting") approvalsStore.setState({ feed: status });
  });
  feed.on("live", () => {
    approvalsStore.setState({ feed: "live" });
    loadPending().catch((error: unknown) =>
      approvalsStore.setState({ loadError: `The inbox could not be loaded: ${describeError(error)}` }),
    );
  });
  feed.on("approval", ({ approval }) => applyApproval(approval));
  feed.on("error", (error) => {
    if (feed.status !== "offline") return;
    // The server refused the session for good (revoked, signed out elsewhere): sign in again.
    if (AgentboardError.isInstance(error) && error.code === "unauthorized") sessionEnded();
    else notify("error", `Live approval updates stopped: ${describeError(error)}`);
  });
  return () => void feed.close();
}
