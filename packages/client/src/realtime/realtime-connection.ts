import {
  AgentboardError,
  CLOSE_CODES,
  type ClientMessage,
  type ServerMessage,
  ServerMessageSchema,
} from "@agentboard/protocol";
import ReconnectingWebSocket, { type CloseEvent } from "partysocket/ws";
import { backoffDelay, sleep } from "../backoff.js";
import { ApiRequestError } from "../errors.js";

export type WebSocketConstructor = typeof globalThis.WebSocket;

export interface RealtimeConnectionHandlers {
  /** A socket opened: subscribe now (every open is a fresh server-side connection). */
  onOpen(): void;
  onMessage(message: ServerMessage): void;
  /** The socket closed; unless `fatal` was reported, a reconnect with backoff is under way. */
  onClose(close: { code: number; reason: string }): void;
  /**
   * The server refused us for good: 4403, a ticket request answered 401/403, or 4401 twice without a healthy
   * connection in between. No more reconnects.
   */
  onFatal(error: AgentboardError): void;
  /** Something failed that the reconnect loop handles itself (ticket fetch, bad frame); for observability. */
  onError(error: Error): void;
}

export interface RealtimeConnectionOptions {
  /** http(s) base URL of the server; the socket goes to the same host at `/api/realtime`. */
  baseUrl: string;
  /** A fresh single-use ticket; called before every (re)connect. */
  fetchTicket(signal: AbortSignal): Promise<string>;
  /** Defaults to the global WebSocket, else (Node 20) the `ws` package. */
  WebSocket?: WebSocketConstructor;
  minReconnectDelayMs: number;
  maxReconnectDelayMs: number;
  connectionTimeoutMs: number;
  /** A `ping` is sent this often; no frame at all within one interval after it means a dead socket. */
  heartbeatIntervalMs: number;
  handlers: RealtimeConnectionHandlers;
  random?: () => number;
}

/** How long `close()` waits for the socket's closing handshake before cutting it. */
const CLOSE_GRACE_MS = 2_000;

/** The abort reason of a backoff wait that `reconnectNow()` ended. */
const WOKEN = Symbol("woken");

async function defaultWebSocket(): Promise<WebSocketConstructor> {
  if (typeof globalThis.WebSocket === "function") return globalThis.WebSocket;
  // Node 20 has no global WebSocket. The import runs only there; bundlers resolve `ws` to its browser stub.
  const { WebSocket } = await import("ws");
  return WebSocket as unknown as WebSocketConstructor;
}

/** Subclasses the socket class so `close()` can wait until every socket it made is really closed. */
function trackedWebSocket(Impl: WebSocketConstructor, sockets: Set<WebSocket>): WebSocketConstructor {
  return class TrackedWebSocket extends Impl {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      sockets.add(this);
      this.addEventListener("close", () => sockets.delete(this));
    }
  };
}

/**
 * One logical realtime connection: a partysocket ReconnectingWebSocket that fetches a new ticket for every
 * connect, waits an exponential backoff with jitter between attempts, gives up only when the server refuses
 * the credentials, and detects dead sockets with an application ping. It knows nothing about dashboards.
 *
 * partysocket's own delay is set to 0 and the backoff happens in the URL provider instead: there it can use
 * jitter and be cancelled by `close()`, so no timer outlives the connection.
 */
export class RealtimeConnection {
  private readonly options: RealtimeConnectionOptions;
  private readonly lifetime = new AbortController();
  private readonly sockets = new Set<WebSocket>();
  private socket: ReconnectingWebSocket | undefined;
  private attempt = 0;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private awaitingFrame = false;
  private pingCounter = 0;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Ends the backoff wait in progress, if any (set only while `nextUrl` sleeps). */
  private wakeBackoff: (() => void) | undefined;
  /** 4401 closes since the connection was last healthy (see `mayReconnectAfter`). */
  private refusals = 0;

  constructor(options: RealtimeConnectionOptions) {
    this.options = options;
  }

  /** Starts connecting; failures are reported through the handlers. */
  async start(): Promise<void> {
    let Impl: WebSocketConstructor;
    try {
      Impl = this.options.WebSocket ?? (await defaultWebSocket());
    } catch (error) {
      this.options.handlers.onFatal(
        new AgentboardError("unavailable", "no WebSocket implementation available", undefined, {
          cause: error,
        }),
      );
      return;
    }
    if (this.closed) return;
    const socket = new ReconnectingWebSocket(() => this.nextUrl(), undefined, {
      WebSocket: trackedWebSocket(Impl, this.sockets),
      minReconnectionDelay: 0,
      maxReconnectionDelay: 0,
      connectionTimeout: this.options.connectionTimeoutMs,
      // Frames are never queued while disconnected: a patch is only meaningful on the connection that
      // subscribed, and the engine resends what was not answered.
      maxEnqueuedMessages: 0,
      shouldReconnectOnClose: (event) => this.mayReconnectAfter(event.code),
    });
    socket.addEventListener("open", this.handleOpen);
    socket.addEventListener("message", this.handleMessage);
    socket.addEventListener("close", this.handleClose);
    this.socket = socket;
  }

  get isOpen(): boolean {
    return this.socket?.readyState === ReconnectingWebSocket.OPEN;
  }

  /** Sends now or not at all (false when no socket is open). */
  send(message: ClientMessage): boolean {
    if (!this.socket || !this.isOpen) return false;
    return this.socket.send(JSON.stringify(message));
  }

  /** Drops the current socket and connects again (used to resync after a gap). */
  reconnect(reason: string): void {
    if (this.closed || !this.socket) return;
    this.socket.reconnect(1000, reason);
  }

  /**
   * Connects now instead of after the backoff: a backoff wait in progress ends at once, an open socket is
   * replaced (after a network change it may be dead without knowing it yet), and an attempt already under
   * way (ticket request, handshake) is left alone, so there is never a second socket. The backoff starts
   * over: past failures say little about the network the caller just saw come back. No-op once closed.
   */
  reconnectNow(): void {
    if (this.closed || !this.socket) return;
    if (this.wakeBackoff) {
      // The woken attempt is the free first try of the new series; a failure then waits one short step.
      this.attempt = 1;
      this.wakeBackoff();
      return;
    }
    this.attempt = 0;
    if (this.isOpen) this.socket.reconnect(1000, "reconnect requested");
  }

  /** The connection is healthy (subscribed and caught up): the next drop starts the backoff afresh. */
  markHealthy(): void {
    this.attempt = 1;
    this.refusals = 0;
  }

  /** Stops reconnecting, closes the socket and resolves once no socket, timer or request is left. */
  close(): Promise<void> {
    if (!this.closing) this.closing = this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    this.lifetime.abort(new AgentboardError("unavailable", "the realtime connection was closed"));
    this.stopHeartbeat();
    const socket = this.socket;
    if (socket) {
      socket.removeEventListener("open", this.handleOpen);
      socket.removeEventListener("message", this.handleMessage);
      socket.removeEventListener("close", this.handleClose);
      socket.close(1000, "client closed");
    }
    await Promise.all([...this.sockets].map((raw) => closeSocket(raw)));
  }

  private async nextUrl(): Promise<string> {
    const signal = this.lifetime.signal;
    const delay = backoffDelay(
      this.attempt++,
      { minDelayMs: this.options.minReconnectDelayMs, maxDelayMs: this.options.maxReconnectDelayMs },
      this.options.random,
    );
    if (delay > 0) await this.backoff(delay);
    let ticket: string;
    try {
      ticket = await this.options.fetchTicket(signal);
    } catch (error) {
      if (signal.aborted) throw error;
      if (error instanceof ApiRequestError && (error.httpStatus === 401 || error.httpStatus === 403)) {
        this.fail(error);
      } else {
        this.options.handlers.onError(error instanceof Error ? error : new Error(String(error)));
      }
      throw error;
    }
    const base = new URL(this.options.baseUrl);
    base.protocol = base.protocol === "https:" ? "wss:" : "ws:";
    base.pathname = `${base.pathname.replace(/\/+$/, "")}/api/realtime`;
    base.search = `?ticket=${encodeURIComponent(ticket)}`;
    return base.toString();
  }

  /**
   * Waits `ms` unless `reconnectNow()` ends the wait early; rejects when the connection is closed. The timer
   * is cleared on every path, so nothing outlives the wait.
   */
  private async backoff(ms: number): Promise<void> {
    const lifetime = this.lifetime.signal;
    if (lifetime.aborted) throw lifetime.reason;
    const wait = new AbortController();
    const onClose = () => wait.abort(lifetime.reason);
    lifetime.addEventListener("abort", onClose, { once: true });
    this.wakeBackoff = () => wait.abort(WOKEN);
    try {
      await sleep(ms, wait.signal);
    } catch (error) {
      // Woken by reconnectNow(): go on with this attempt at once.
      if (error !== WOKEN) throw error;
    } finally {
      this.wakeBackoff = undefined;
      lifetime.removeEventListener("abort", onClose);
    }
  }

  private readonly handleOpen = (): void => {
    this.startHeartbeat();
    this.options.handlers.onOpen();
  };

  private readonly handleMessage = (event: MessageEvent): void => {
    this.awaitingFrame = false;
    if (typeof event.data !== "string") {
      this.options.handlers.onError(new Error("the server sent a binary frame; expected JSON text"));
      return;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(event.data);
    } catch {
      this.options.handlers.onError(new Error("the server sent a frame that is not JSON"));
      return;
    }
    const parsed = ServerMessageSchema.safeParse(raw);
    if (!parsed.success) {
      const type = typeof raw === "object" && raw !== null ? (raw as { type?: unknown }).type : undefined;
      this.options.handlers.onError(new Error(`the server sent an unknown frame (type ${String(type)})`));
      return;
    }
    if (parsed.data.type === "pong") return;
    this.options.handlers.onMessage(parsed.data);
  };

  private readonly handleClose = (event: CloseEvent): void => {
    this.stopHeartbeat();
    if (this.isFinal(event.code)) {
      const code = event.code === CLOSE_CODES.forbidden ? "forbidden" : "unauthorized";
      this.fail(
        new AgentboardError(
          code,
          `the server refused the realtime connection (close ${event.code}${event.reason ? `: ${event.reason}` : ""})`,
        ),
      );
      return;
    }
    this.options.handlers.onClose({ code: event.code, reason: event.reason });
  };

  /**
   * Called by partysocket on every close, before the close listeners. 4401 means "sign in again": the
   * credential was revoked (sign-out, token revoked, member removed) or the principal's role changed, which
   * the client cannot tell apart. So the first 4401 gets one immediate attempt with a fresh ticket: a revoked
   * credential gets 401 for it (fatal: `unauthorized`), a changed role connects with the new role. A second
   * 4401 before the connection was healthy again is final, so a refusal never becomes a reconnect loop.
   */
  private mayReconnectAfter(code: number): boolean {
    if (code === CLOSE_CODES.forbidden) return false;
    if (code !== CLOSE_CODES.unauthorized) return true;
    this.refusals++;
    if (this.refusals > 1) return false;
    this.attempt = 0;
    return true;
  }

  /** Whether this close ends the connection for good (mayReconnectAfter has already counted it). */
  private isFinal(code: number): boolean {
    return code === CLOSE_CODES.forbidden || (code === CLOSE_CODES.unauthorized && this.refusals > 1);
  }

  private fail(error: AgentboardError): void {
    if (this.closed) return;
    this.options.handlers.onFatal(error);
    void this.close();
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    this.awaitingFrame = false;
    this.heartbeat = setInterval(() => {
      if (this.awaitingFrame) {
        // Nothing came back for a whole interval after a ping: the socket is dead even if TCP has not noticed.
        this.reconnect("no answer to ping");
        return;
      }
      this.awaitingFrame = this.send({ type: "ping", id: `h${++this.pingCounter}` });
    }, this.options.heartbeatIntervalMs);
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}

/** Resolves when the socket is closed; cuts it (ws `terminate`) if the peer does not finish the handshake. */
function closeSocket(socket: WebSocket): Promise<void> {
  if (socket.readyState === socket.CLOSED) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      socket.removeEventListener("close", done);
      resolve();
    };
    const timer = setTimeout(() => {
      (socket as { terminate?: () => void }).terminate?.();
      done();
    }, CLOSE_GRACE_MS);
    socket.addEventListener("close", done);
    if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) {
      socket.close(1000, "client closed");
    }
  });
}
