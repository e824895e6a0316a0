import type { AgentboardError, Approval, ServerMessage } from "@agentboard/protocol";
import { RealtimeConnection, type WebSocketConstructor } from "../sync/sync-connection.js";

export type ApprovalFeedEvent =
  | { kind: "subscribed" }
  | { kind: "approval"; approval: Approval }
  | { kind: "down" }
  | { kind: "fatal"; error: AgentboardError };

export interface ApprovalFeedOptions {
  baseUrl: string;
  fetchTicket(signal: AbortSignal): Promise<string>;
  WebSocket?: WebSocketConstructor;
  /** The socket stays open this long after the last wait ends, so back-to-back waits share it. */
  lingerMs?: number;
}

/**
 * One realtime connection per board client that carries approval events to every waiting `wait()`. It opens
 * when the first wait needs it and closes (after a short linger) when the last one ends, so an idle agent
 * holds no socket. Every (re)subscription is announced, which is the cue for waiters to re-read their
 * approval: a decision made while the socket was down is never missed.
 */
export class ApprovalFeed {
  private connection: RealtimeConnection | undefined;
  private users = 0;
  private linger: ReturnType<typeof setTimeout> | undefined;
  private subscribed = false;
  private readonly listeners = new Set<(event: ApprovalFeedEvent) => void>();
  private requestCounter = 0;

  constructor(private readonly options: ApprovalFeedOptions) {}

  get isSubscribed(): boolean {
    return this.subscribed;
  }

  /** Registers a listener (do this before reading state: subscribe first, then check). */
  on(listener: (event: ApprovalFeedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Keeps the connection open until the returned release function is called. */
  acquire(): () => void {
    this.users++;
    clearTimeout(this.linger);
    this.linger = undefined;
    if (!this.connection) this.open();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.users > 0) return;
      this.linger = setTimeout(() => void this.shutdown(), this.options.lingerMs ?? 2_000);
      (this.linger as { unref?: () => void }).unref?.();
    };
  }

  /** Closes the connection now, whatever the users (board client shutdown). */
  async close(): Promise<void> {
    clearTimeout(this.linger);
    await this.shutdown();
  }

  private open(): void {
    const connection = new RealtimeConnection({
      baseUrl: this.options.baseUrl,
      fetchTicket: this.options.fetchTicket,
      WebSocket: this.options.WebSocket,
      minReconnectDelayMs: 250,
      maxReconnectDelayMs: 5_000,
      connectionTimeoutMs: 5_000,
      heartbeatIntervalMs: 25_000,
      handlers: {
        onOpen: () => {
          connection.send({ type: "subscribe_approvals", id: `approvals-${++this.requestCounter}` });
        },
        onMessage: (message: ServerMessage) => {
          if (message.type === "subscribed_approvals") {
            this.subscribed = true;
            connection.markHealthy();
            this.emit({ kind: "subscribed" });
          } else if (message.type === "approval") {
            this.emit({ kind: "approval", approval: message.approval });
          }
        },
        onClose: () => {
          this.subscribed = false;
          this.emit({ kind: "down" });
        },
        onFatal: (error) => {
          this.subscribed = false;
          this.emit({ kind: "fatal", error });
        },
        onError: () => {
          // Reconnects are handled by the connection; waiters learn about outages from "down".
        },
      },
    });
    this.connection = connection;
    void connection.start();
  }

  private async shutdown(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.subscribed = false;
    this.linger = undefined;
    await connection?.close();
  }

  private emit(event: ApprovalFeedEvent): void {
    for (const listener of [...this.listeners]) listener(event);
  }
}
