import {
  ApprovalSchema,
  CLOSE_CODES,
  RealtimeTicketResponseSchema,
  ServerMessageSchema,
} from "@agentboard/protocol";
import { board } from "../lib/api";
import { describeError, httpStatusOf } from "../lib/errors";
import { sessionEnded } from "../session/session-controller";
import { applyApproval, approvalsStore, replacePending } from "./approvals-store";

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;
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
 * Live approval events for the inbox and the badge: its own realtime socket (the SDK's sync client does not
 * carry approval events), authenticated with a single-use ticket. After every (re)subscription the pending
 * list is read again — subscribe first, then read — so nothing decided in a gap is missed.
 */
export class ApprovalsFeed {
  private socket: WebSocket | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private attempt = 0;
  private stopped = false;
  /** 4401 closes since the feed was last subscribed (one fresh-ticket attempt, then the session is over). */
  private refusals = 0;

  start(): void {
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000, "inbox closed");
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let ticket: string;
    try {
      ticket = RealtimeTicketResponseSchema.parse(await board.request("POST", "/api/realtime/ticket")).ticket;
    } catch (error) {
      if (httpStatusOf(error) === 401) {
        // The session is gone (signed out elsewhere, revoked): retrying cannot help; sign in again.
        this.stop();
        sessionEnded();
        return;
      }
      this.retry();
      return;
    }
    if (this.stopped) return;
    const url = new URL("/api/realtime", window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("ticket", ticket);
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.addEventListener("open", () =>
      socket.send(JSON.stringify({ type: "subscribe_approvals", id: "approvals" })),
    );
    socket.addEventListener("message", (event) => this.onMessage(event));
    socket.addEventListener("close", (event) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      // 4401 "sign in again": the session was revoked, or this user's role changed. One attempt with a fresh
      // ticket at once tells which (a revoked session gets 401 for it, see above); a second 4401 before the
      // feed was subscribed again ends the session rather than looping.
      if (event.code === CLOSE_CODES.unauthorized && !this.stopped) {
        if (++this.refusals > 1) {
          this.stop();
          sessionEnded();
          return;
        }
        approvalsStore.setState({ feed: "reconnecting" });
        void this.connect();
        return;
      }
      this.retry();
    });
  }

  private onMessage(event: MessageEvent): void {
    if (typeof event.data !== "string") return;
    let frame: unknown;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    const message = ServerMessageSchema.safeParse(frame);
    if (!message.success) return;
    if (message.data.type === "subscribed_approvals") {
      this.attempt = 0;
      this.refusals = 0;
      approvalsStore.setState({ feed: "live" });
      loadPending().catch((error: unknown) =>
        approvalsStore.setState({ loadError: `The inbox could not be loaded: ${describeError(error)}` }),
      );
      return;
    }
    if (message.data.type === "approval") {
      const approval = ApprovalSchema.safeParse(message.data.approval);
      if (approval.success) applyApproval(approval.data);
    }
  }

  private retry(): void {
    if (this.stopped) return;
    approvalsStore.setState({ feed: "reconnecting" });
    const delay = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** this.attempt++) * (0.75 + Math.random() * 0.5);
    this.timer = setTimeout(() => void this.connect(), delay);
  }
}
