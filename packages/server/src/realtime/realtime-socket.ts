/**
 * The few things the hub needs from a WebSocket. The Fastify route adapts `ws` to it; tests can pass a fake.
 * Keeping `ws` out of the hub keeps the hub about subscriptions and ordering, not transport details.
 */
export interface RealtimeSocket {
  /** Sends one text frame; a Buffer must hold UTF-8 JSON (lets one encoding serve many subscribers). */
  send(data: string | Buffer): void;
  close(code: number, reason: string): void;
  /** Drops the connection without a closing handshake (dead peers). */
  terminate(): void;
  ping(): void;
  readonly bufferedAmount: number;
  onMessage(listener: (text: string) => void): void;
  onClose(listener: () => void): void;
  onPong(listener: () => void): void;
}
