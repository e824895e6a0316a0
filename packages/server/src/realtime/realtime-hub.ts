import { randomUUID } from "node:crypto";
import { CLOSE_CODES } from "@agentboard/protocol";
import type { Principal } from "../auth/principal.js";
import { Connection } from "./connection.js";
import { FrameDecoder } from "./frame-decoder.js";
import type { RealtimeChannel } from "./realtime-channel.js";
import type { RealtimeSocket } from "./realtime-socket.js";

export interface RealtimeLog {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface RealtimeHubOptions {
  heartbeatMs: number;
  maxBufferedBytes: number;
  messagesPerSecond: number;
  log: RealtimeLog;
}

/**
 * The heartbeat visits one slice of the connections per tick, HEARTBEAT_SLICES ticks per interval. Pinging
 * every connection at once writes one frame per socket in a single burst that holds up any fan-out behind
 * it (milliseconds with a thousand connections); a slice holds it up a tenth as long.
 */
export const HEARTBEAT_SLICES = 10;

/**
 * Connections, heartbeat, decoding and dispatch. Transport-free: it takes any RealtimeSocket. What a frame
 * means belongs to the channel that declared its type (dashboards, approvals, refresh, …: realtime-channel.ts);
 * the hub answers `ping` itself and tells every channel when a connection goes.
 */
export class RealtimeHub {
  /** Open connections by id. */
  private readonly connections = new Map<string, Connection>();
  private readonly channels: RealtimeChannel[] = [];
  private readonly decoder = new FrameDecoder();
  private readonly heartbeat: NodeJS.Timeout;
  /** Connections by heartbeat slice; each slice is visited once per heartbeat interval. */
  private readonly heartbeatSlices: Array<Set<Connection>> = Array.from(
    { length: HEARTBEAT_SLICES },
    () => new Set<Connection>(),
  );
  private heartbeatTick = 0;

  constructor(private readonly options: RealtimeHubOptions) {
    this.heartbeat = setInterval(() => this.beat(), options.heartbeatMs / HEARTBEAT_SLICES);
    this.heartbeat.unref();
  }

  /**
   * Adds a channel: frames of the types it declares go to it from now on, and it hears of every connection
   * that closes. Throws when one of its types is already taken. The hub closes it when it closes.
   */
  register(channel: RealtimeChannel): void {
    if (this.channels.some((known) => known.name === channel.name))
      throw new Error(`a realtime channel named "${channel.name}" is already registered`);
    this.decoder.add(channel);
    this.channels.push(channel);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Principals with an open connection on this node (the agent directory's local health). */
  connectedPrincipalIds(): Set<string> {
    const ids = new Set<string>();
    for (const connection of this.connections.values()) ids.add(connection.principal.id);
    return ids;
  }

  /** Subscriptions a channel holds (tests check that closed sockets leave none behind). */
  subscriptionCount(channelName: string): number {
    return this.channels.find((channel) => channel.name === channelName)?.subscriptionCount ?? 0;
  }

  accept(socket: RealtimeSocket, principal: Principal): Connection {
    const connection = new Connection(randomUUID(), principal, socket, this.options);
    this.connections.set(connection.id, connection);
    // The smallest slice, so slices stay even as connections come and go.
    let slice = 0;
    for (let i = 1; i < HEARTBEAT_SLICES; i++) {
      if (this.heartbeatSlices[i]!.size < this.heartbeatSlices[slice]!.size) slice = i;
    }
    connection.heartbeatSlice = slice;
    this.heartbeatSlices[slice]!.add(connection);
    connection.onClosed = () => this.drop(connection);
    socket.onPong(() => {
      connection.alive = true;
    });
    socket.onClose(() => this.drop(connection));
    socket.onMessage((text) => {
      void this.onFrame(connection, text).catch((error: unknown) => {
        this.options.log.error({ err: error, connection: connection.id }, "realtime frame failed");
        connection.send({ type: "error", error: "internal", message: "internal error" });
      });
    });
    return connection;
  }

  /** Closes every channel, then every connection with "going away" (the SDK reconnects, maybe elsewhere). */
  close(): void {
    clearInterval(this.heartbeat);
    for (const channel of this.channels) channel.close?.();
    for (const connection of [...this.connections.values()]) {
      connection.close(CLOSE_CODES.goingAway, "server shutting down");
      this.drop(connection);
    }
  }

  /** Forgets a connection as soon as either side decides to close it; the channels forget it too. */
  private drop(connection: Connection): void {
    connection.closed = true;
    if (!this.connections.delete(connection.id)) return; // dropped already
    this.heartbeatSlices[connection.heartbeatSlice]!.delete(connection);
    for (const channel of this.channels) channel.onConnectionClosed?.(connection);
  }

  /**
   * One tick of the heartbeat: in this tick's slice, dead peers (no pong since their last ping, one interval
   * ago) are terminated and live ones get a ping.
   */
  private beat(): void {
    const slice = this.heartbeatSlices[this.heartbeatTick]!;
    this.heartbeatTick = (this.heartbeatTick + 1) % HEARTBEAT_SLICES;
    // A dead peer is dropped from the slice while it is being walked: a Set visits the rest all the same.
    for (const connection of slice) {
      if (!connection.alive) {
        connection.close(CLOSE_CODES.heartbeatTimeout, "no pong");
        connection.socket.terminate();
        this.drop(connection);
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }

  private async onFrame(connection: Connection, text: string): Promise<void> {
    const decoded = this.decoder.decode(connection, text);
    if (!decoded) return;
    const { message, channel } = decoded;
    if (!channel) {
      connection.send({ type: "pong", id: message.id ?? "" }); // `ping`, the one type the hub answers
      return;
    }
    await channel.handle(connection, message);
  }
}
