import {
  type Caller,
  connect,
  startTestServer,
  type TestServer,
  type WsClient,
} from "@agentboard/test-support";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { Connection } from "../../src/realtime/connection.js";
import type { RealtimeChannel } from "../../src/realtime/realtime-channel.js";

/**
 * A capability adds a realtime channel with `hub.register(channel)`, without editing the hub: its frames are
 * decoded and checked against the schemas it declares and handed to it; the hub tells it when a socket goes
 * and closes it with the server.
 */
const EchoMessageSchema = z.strictObject({
  type: z.literal("echo"),
  id: z.string().min(1).max(64),
  text: z.string().max(16),
});
type EchoMessage = z.infer<typeof EchoMessageSchema>;

class EchoChannel implements RealtimeChannel<EchoMessage> {
  readonly name = "echo";
  readonly messages = { echo: EchoMessageSchema };
  readonly handled: EchoMessage[] = [];
  closedConnections: Connection[] = [];
  closed = false;
  private waiters: Array<() => void> = [];

  handle(connection: Connection, message: EchoMessage): void {
    this.handled.push(message);
    connection.send({ type: "pong", id: `echo:${message.text}` });
  }

  onConnectionClosed(connection: Connection): void {
    this.closedConnections.push(connection);
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves once some connection has closed (event-driven, with a deadline). */
  connectionClosed(timeoutMs = 5_000): Promise<void> {
    if (this.closedConnections.length > 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no connection closed")), timeoutMs);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  close(): void {
    this.closed = true;
  }
}

let server: TestServer;
let alice: Caller;
let channel: EchoChannel;
let serverClosed = false;
const clients: WsClient[] = [];

beforeEach(async () => {
  server = await startTestServer();
  alice = await server.caller({ name: "alice" });
  channel = new EchoChannel();
  server.app.realtimeHub.register(channel);
  serverClosed = false;
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  if (!serverClosed) await server.close();
});

async function client(): Promise<WsClient> {
  const c = await connect(server, alice);
  clients.push(c);
  return c;
}

describe("realtime channels", () => {
  it("hands a registered channel the frames of its types, checked against its schema", async () => {
    const c = await client();
    c.send({ type: "echo", id: "e1", text: "hi" });
    expect(await c.next("pong")).toEqual({ type: "pong", id: "echo:hi" });
    expect(channel.handled).toEqual([{ type: "echo", id: "e1", text: "hi" }]);

    c.send({ type: "echo", id: "e2", text: "x".repeat(17) });
    const refused = await c.next("error", (f) => f.id === "e2");
    expect(refused).toMatchObject({ error: "invalid" });
    expect(refused.message).toMatch(/^invalid frame at text: /);
    expect(channel.handled).toHaveLength(1);

    // The built-in channels and the hub's own ping work as before, next to the new one.
    c.send({ type: "ping", id: "p1" });
    expect(await c.next("pong")).toEqual({ type: "pong", id: "p1" });
    c.send({ type: "subscribe_approvals", id: "s1" });
    expect(await c.next("subscribed_approvals")).toEqual({ type: "subscribed_approvals", id: "s1" });
  });

  it("names every declared type when a frame's type is unknown", async () => {
    const c = await client();
    c.send({ type: "nope", id: "n1" });
    const refused = await c.next("error", (f) => f.id === "n1");
    expect(refused.message).toBe(
      "invalid frame at type: Invalid discriminator value. Expected " +
        "'subscribe' | 'unsubscribe' | 'patch' | 'subscribe_approvals' | 'subscribe_mcp' | 'subscribe_agents' | 'echo' | 'ping'",
    );
  });

  it("tells the channel when a socket closes, and closes the channel with the server", async () => {
    const c = await client();
    c.send({ type: "echo", id: "e1", text: "hi" });
    await c.next("pong");
    await c.close();
    await channel.connectionClosed();
    expect(channel.closedConnections.map((connection) => connection.principal.name)).toEqual(["alice"]);
    expect(channel.closed).toBe(false);
    serverClosed = true;
    await server.close();
    expect(channel.closed).toBe(true);
  });

  it("refuses a second claim to a message type or a channel name", () => {
    const hub = server.app.realtimeHub;
    const claimsPatch = { ...new EchoChannel(), name: "other", messages: { patch: EchoMessageSchema } };
    expect(() => hub.register(claimsPatch as unknown as RealtimeChannel)).toThrow(
      'realtime message type "patch" is already handled by dashboards',
    );
    const claimsPing = { ...new EchoChannel(), name: "other", messages: { ping: EchoMessageSchema } };
    expect(() => hub.register(claimsPing as unknown as RealtimeChannel)).toThrow(
      "already handled by the hub",
    );
    expect(() => hub.register(new EchoChannel())).toThrow(
      'a realtime channel named "echo" is already registered',
    );
  });
});
