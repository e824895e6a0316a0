import type { ServerMessage } from "@agentboard/protocol";
import type { ZodType } from "zod";
import type { Connection } from "./connection.js";

/**
 * What one topic does over the realtime socket (dashboards, approvals, refresh requests; later agents, MCP):
 * the client frames it answers and the bus events it turns into server frames. The hub owns connections,
 * heartbeat and decoding; it hands each decoded frame to the channel that declared its type and tells every
 * channel when a connection goes. A capability adds a channel with `hub.register(channel)`, without editing
 * the hub.
 *
 * A channel subscribes to the bus topics it needs itself (in its constructor) and lets go of them in `close`.
 */
export interface RealtimeChannel<M extends { type: string } = { type: string }> {
  /** Names the channel (counts for tests and the health page, logs). */
  readonly name: string;
  /**
   * The client frames this channel answers, by `type`, each with its schema from `@agentboard/protocol`.
   * A type belongs to one channel; registering a second claim to it throws.
   */
  readonly messages: { readonly [T in M["type"]]: ZodType<Extract<M, { type: T }>> };
  /** One decoded frame of a declared type. A rejection is logged and answered `error internal` by the hub. */
  handle(connection: Connection, message: M): void | Promise<void>;
  /**
   * The answer to a frame of one of this channel's types that was refused before its schema was checked
   * (too deep, forbidden keys), when it should not be the default `error {id, error:"invalid"}` (undefined).
   */
  refusal?(
    frame: Readonly<Record<string, unknown>>,
    id: string | undefined,
    message: string,
  ): ServerMessage | undefined;
  /** How many subscriptions the channel holds (leak checks in tests, the health page). */
  readonly subscriptionCount?: number;
  /** The connection is gone (closed by either side, or the server is shutting down): forget it. */
  onConnectionClosed?(connection: Connection): void;
  /** The hub is closing: unsubscribe from the bus, stop timers. */
  close?(): void;
}
