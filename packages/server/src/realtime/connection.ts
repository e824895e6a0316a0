import { CLOSE_CODES, type ServerMessage } from "@agentboard/protocol";
import type { Principal } from "../auth/principal.js";
import { TokenBucket } from "./rate-limiter.js";
import type { RealtimeSocket } from "./realtime-socket.js";

/** How long a closing peer gets to answer the close frame before the socket is cut. */
export const CLOSE_GRACE_MS = 2_000;

/**
 * One WebSocket client: who it is and the guards on its traffic (rate, send buffer). What it follows is kept
 * by the channels (realtime-channel.ts), keyed by the connection.
 */
export class Connection {
  alive = true;
  closed = false;
  /** Which slice of the hub's heartbeat visits this connection (see RealtimeHub.beat). */
  heartbeatSlice = 0;
  private readonly bucket: TokenBucket;
  private refusedInWindow = 0;
  private windowStart = 0;

  constructor(
    readonly id: string,
    readonly principal: Principal,
    readonly socket: RealtimeSocket,
    private readonly limits: { maxBufferedBytes: number; messagesPerSecond: number },
  ) {
    this.bucket = new TokenBucket(limits.messagesPerSecond);
  }

  /**
   * Sends a frame unless the peer is too far behind: then it is dropped with a close code that tells the
   * SDK to reconnect and resync from its rev (the log or a snapshot brings it back), instead of the server
   * buffering without bound for a client that cannot keep up.
   */
  send(message: ServerMessage): void {
    this.sendEncoded(JSON.stringify(message));
  }

  /** Sends a frame already serialised (fan-out encodes a change once for all its subscribers). */
  sendEncoded(frame: string | Buffer): void {
    if (this.closed) return;
    if (this.socket.bufferedAmount > this.limits.maxBufferedBytes) {
      this.close(CLOSE_CODES.resyncRequired, "too slow: reconnect and resync");
      return;
    }
    this.socket.send(frame);
  }

  /** Admits a frame under the rate limit; a sustained flood (a full window of refusals) closes the socket. */
  admit(): "ok" | "refused" | "closed" {
    if (this.bucket.take()) return "ok";
    const now = performance.now();
    if (now - this.windowStart > 1000) {
      this.windowStart = now;
      this.refusedInWindow = 0;
    }
    this.refusedInWindow++;
    if (this.refusedInWindow > this.limits.messagesPerSecond * 2) {
      this.close(CLOSE_CODES.rateLimited, "rate limit exceeded");
      return "closed";
    }
    return "refused";
  }

  /** Tells whether this refusal should be reported (once per window, so errors do not flood back). */
  get firstRefusalInWindow(): boolean {
    return this.refusedInWindow === 1;
  }

  /** Set by the hub: forget the connection as soon as we decide to close it, not when the peer agrees. */
  onClosed: () => void = () => {};

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.onClosed();
    try {
      this.socket.close(code, reason);
    } catch {
      this.socket.terminate();
      return;
    }
    // A peer that never answers the close frame (busy, or too slow — the reason we may be closing) would
    // hold the socket, and a server shutdown, for ws's 30 s close timeout; cut it after a short grace.
    const cut = setTimeout(() => this.socket.terminate(), CLOSE_GRACE_MS);
    cut.unref();
    this.socket.onClose(() => clearTimeout(cut));
  }
}
