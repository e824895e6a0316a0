import type { ClientMessage } from "@agentboard/protocol";
import type { RealtimeSocket } from "../realtime/realtime-socket.js";

/** Who is on the other end of a loopback socket. Its methods are called from the hub's fan-out: never throw. */
export interface LoopbackPeer {
  /** One server frame: JSON text, or a Buffer of it that the fan-out shares between subscribers. */
  frame(data: string | Buffer): void;
  /** The hub closed the connection (shutdown, revoked credentials, too far behind). */
  closed(code: number, reason: string): void;
  /** The hub's heartbeat reached this connection. */
  heartbeat(): void;
  /** Bytes written but not yet sent: the hub's slow-consumer guard reads it before each frame. */
  readonly bufferedBytes: number;
}

/**
 * A realtime connection without a WebSocket. The hub and its channels see an ordinary socket: `say` hands
 * the hub a client frame and every frame they send comes back to the peer. An AG-UI run follows
 * a dashboard and the approvals feed this way, over the same subscriptions WebSocket clients get — rev order,
 * catch-up from the log, resync after a cluster bus gap, the slow-consumer guard and the heartbeat — instead
 * of a second copy of them.
 */
export class LoopbackSocket implements RealtimeSocket {
  private messageListener: ((text: string) => void) | undefined;
  private readonly closeListeners: Array<() => void> = [];
  private readonly pongListeners: Array<() => void> = [];
  private ended = false;

  constructor(private readonly peer: LoopbackPeer) {}

  send(data: string | Buffer): void {
    if (!this.ended) this.peer.frame(data);
  }

  close(code: number, reason: string): void {
    if (this.ended) return;
    this.end();
    this.peer.closed(code, reason);
  }

  terminate(): void {
    this.close(1006, "terminated");
  }

  /** Writing the heartbeat is the liveness check: a peer that went away closed its socket already. */
  ping(): void {
    this.peer.heartbeat();
    for (const listener of this.pongListeners) listener();
  }

  get bufferedAmount(): number {
    return this.peer.bufferedBytes;
  }

  onMessage(listener: (text: string) => void): void {
    this.messageListener = listener;
  }

  onClose(listener: () => void): void {
    // The hub's Connection registers one after asking to close; it must still run, once.
    if (this.ended) queueMicrotask(listener);
    else this.closeListeners.push(listener);
  }

  onPong(listener: () => void): void {
    this.pongListeners.push(listener);
  }

  /** A client frame to the hub, as a WebSocket client would send it. */
  say(frame: ClientMessage): void {
    if (!this.ended) this.messageListener?.(JSON.stringify(frame));
  }

  /** The peer went away: the hub forgets the connection and its channels their subscriptions. */
  disconnect(): void {
    if (!this.ended) this.end();
  }

  private end(): void {
    this.ended = true;
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
