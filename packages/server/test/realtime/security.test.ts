import {
  connect,
  noteWidget,
  openSocket,
  startTestServer,
  type TestServer,
  ticketFor,
  WsClient,
} from "@agentboard/test-support";
import { afterEach, describe, expect, it } from "vitest";
import { TicketStore } from "../../src/realtime/ticket-store.js";

let server: TestServer | undefined;
const clients: WsClient[] = [];

async function start(env: Record<string, string> = {}) {
  server = await startTestServer(env);
  const alice = await server.caller({ name: "alice" });
  await alice.request("PUT", "/api/dashboards/me/widgets/a", noteWidget("a"));
  return { server, alice };
}
const wsUrl = (s: TestServer, query = "") => `${s.url.replace("http", "ws")}/api/realtime${query}`;
async function track(c: Promise<WsClient>) {
  const client = await c;
  clients.push(client);
  return client;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await server?.close();
  server = undefined;
});

describe("upgrade authentication", () => {
  it("refuses a replayed ticket, an unknown ticket and no credentials with 401 before the upgrade", async () => {
    const { server: s, alice } = await start();
    const ticket = await ticketFor(alice);
    const first = new WsClient(await openSocket(wsUrl(s, `?ticket=${ticket}`)));
    clients.push(first);
    await expect(openSocket(wsUrl(s, `?ticket=${ticket}`))).rejects.toMatchObject({ status: 401 });
    await expect(openSocket(wsUrl(s, "?ticket=abt_nope"))).rejects.toMatchObject({ status: 401 });
    await expect(openSocket(wsUrl(s))).rejects.toMatchObject({ status: 401 });
    await expect(openSocket(wsUrl(s), { authorization: "Bearer ab_wrong" })).rejects.toMatchObject({
      status: 401,
    });
    expect((await s.raw("POST", "/api/realtime/ticket")).status).toBe(401);
  });

  it("expires tickets after their TTL (≤ 60 s) and uses each once", () => {
    let now = 1_000;
    const store = new TicketStore(30_000, () => now);
    const principal = { kind: "user", id: "u", name: "u", workspaceId: "w", workspaceName: "w" } as const;
    const a = store.issue(principal)!;
    const b = store.issue(principal)!;
    expect(Date.parse(a.expiresAt) - now).toBeLessThanOrEqual(60_000);
    expect(store.consume(a.ticket)).toEqual(principal);
    expect(store.consume(a.ticket)).toBeNull();
    now += 30_001;
    expect(store.consume(b.ticket)).toBeNull();
    expect(store.size).toBe(0);
  });

  it("accepts a bearer header from Node clients", async () => {
    const { server: s, alice } = await start();
    const c = new WsClient(await openSocket(wsUrl(s), { authorization: `Bearer ${alice.token}` }));
    clients.push(c);
    c.send({ type: "ping", id: "p" });
    await c.next("pong");
  });

  it("refuses a cookie-only upgrade in production, and a foreign Origin always", async () => {
    const prod = await start({ NODE_ENV: "production" });
    const { secret } = await prod.server.runtime.identity.issueSecret(
      prod.alice.principal,
      "session",
      60_000,
    );
    const cookie = `agentboard_session=${secret}`;
    await expect(openSocket(wsUrl(prod.server), { cookie })).rejects.toMatchObject({ status: 401 });
    await expect(openSocket(wsUrl(prod.server), { cookie, origin: prod.server.url })).rejects.toMatchObject({
      status: 401,
    });
    const ticket = await ticketFor(prod.alice);
    await expect(
      openSocket(wsUrl(prod.server, `?ticket=${ticket}`), { origin: "https://evil.example" }),
    ).rejects.toMatchObject({
      status: 403,
    });
    await prod.server.close();

    const dev = await start();
    const session = await dev.server.runtime.identity.issueSecret(dev.alice.principal, "session", 60_000);
    const devCookie = `agentboard_session=${session.secret}`;
    const ok = new WsClient(
      await openSocket(wsUrl(dev.server), { cookie: devCookie, origin: dev.server.url }),
    );
    clients.push(ok);
    await expect(
      openSocket(wsUrl(dev.server), { cookie: devCookie, origin: "https://evil.example" }),
    ).rejects.toMatchObject({
      status: 403,
    });
  });
});

describe("bad frames", () => {
  it("refuses subscriptions to another workspace or another user's dashboard with forbidden", async () => {
    const { server: s, alice } = await start();
    const mallory = await s.caller({ name: "mallory", workspace: "other" });
    const bob = await s.caller({ name: "bob" });
    const m = await track(connect(s, mallory));
    const id = m.send({ type: "subscribe", dashboardId: `user:${alice.principal.id}` });
    expect(await m.next("error", (f) => f.id === id)).toMatchObject({ error: "forbidden" });
    const b = await track(connect(s, bob));
    const id2 = b.send({ type: "subscribe", dashboardId: `user:${alice.principal.id}` });
    expect(await b.next("error", (f) => f.id === id2)).toMatchObject({ error: "forbidden" });
    // Shared slugs are per workspace: mallory's "team" is not alice's.
    await alice.request("PUT", "/api/dashboards/team/widgets/x", noteWidget("secret"));
    const id3 = m.send({ type: "subscribe", dashboardId: "team" });
    expect(await m.next("subscribed", (f) => f.id === id3)).toMatchObject({ rev: 0 });
    expect((await m.next("snapshot")).state.widgets).toEqual({});
  });

  it("nacks a __proto__ path and a viewer's write as invalid/forbidden without changing the document", async () => {
    const { server: s, alice } = await start();
    const c = await track(connect(s, alice));
    const id = c.send({
      type: "patch",
      dashboardId: "me",
      baseRev: 1,
      ops: [{ op: "add", path: "/__proto__/x", value: 1 }],
      clientId: "c",
      mutationId: "m1",
    });
    expect(await c.answer(id)).toMatchObject({ type: "nack", error: "invalid" });
    const bad = c.send({
      type: "patch",
      dashboardId: "me",
      baseRev: 1,
      ops: JSON.parse('[{"op":"add","path":"/widgets/a/props/markdown","value":{"__proto__":{"x":1}}}]'),
      clientId: "c",
      mutationId: "m2",
    });
    expect(await c.answer(bad)).toMatchObject({ type: "nack", error: "invalid" });
    const viewer = await s.caller({ name: "vera", role: "viewer" });
    await alice.request("PUT", "/api/dashboards/shared/widgets/a", noteWidget("a"));
    const v = await track(connect(s, viewer));
    const vid = v.send({
      type: "patch",
      dashboardId: "shared",
      baseRev: 1,
      ops: [{ op: "replace", path: "/widgets/a/title", value: "x" }],
      clientId: "v",
      mutationId: "m",
    });
    expect(await v.answer(vid)).toMatchObject({ type: "nack", error: "forbidden" });
    const document = (await alice.request("GET", "/api/dashboards/me/state")).body;
    expect(document.rev).toBe(1);
    c.send({ type: "nonsense" });
    expect(await c.next("error", (f) => f.message.includes("invalid frame"))).toMatchObject({
      error: "invalid",
    });
    c.socket.send("{not json");
    expect(await c.next("error", (f) => f.message.includes("not JSON"))).toMatchObject({ error: "invalid" });
  });

  it("closes a socket that sends a 2 MiB frame (1009); the server and other clients carry on", async () => {
    const { server: s, alice } = await start();
    const victim = await track(connect(s, alice));
    const other = await track(connect(s, alice));
    victim.socket.send(JSON.stringify({ type: "ping", id: "x", pad: "x".repeat(2 * 1024 * 1024) }));
    expect(await victim.closed()).toBe(1009);
    other.send({ type: "ping", id: "still" });
    await other.next("pong");
    expect((await s.raw("GET", "/healthz")).status).toBe(200);
  });

  it("answers a 1000 frames/s flood with rate_limited and then closes it (4429); others are unaffected", async () => {
    const { server: s, alice } = await start({ AGENTBOARD_WS_MESSAGES_PER_SECOND: "50" });
    const flood = await track(connect(s, alice));
    const calm = await track(connect(s, alice));
    const sentAt = performance.now();
    for (let i = 0; i < 1000; i++) flood.socket.send(JSON.stringify({ type: "ping", id: `f${i}` }));
    await flood.next("error", (f) => f.error === "rate_limited");
    expect(await flood.closed()).toBe(4429);
    // The bucket admits its burst (2 × 50) plus what refills while the flood arrives: on a loaded machine the
    // 1000 frames can take long enough to earn a few more, so the bound grows with the time they took.
    const refilled = Math.ceil(((performance.now() - sentAt) / 1000) * 50);
    expect(flood.frames.filter((f) => f.type === "pong").length).toBeLessThanOrEqual(100 + refilled);
    expect(flood.frames.filter((f) => f.type === "pong").length).toBeLessThan(1000);
    calm.send({ type: "ping", id: "calm" });
    await calm.next("pong");
  });
});

describe("resources", () => {
  it("drops a subscriber that cannot keep up with 4409 (resync) instead of buffering without bound", async () => {
    const { server: s, alice } = await start({ AGENTBOARD_WS_MAX_BUFFERED_BYTES: "65536" });
    const slow = await track(connect(s, alice));
    const id = slow.send({ type: "subscribe", dashboardId: "me" });
    await slow.next("subscribed", (f) => f.id === id);
    await slow.next("snapshot");
    // Stop reading: the kernel buffers fill, then the server's send buffer grows.
    const tcp = (slow.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    tcp.pause();
    const big = "x".repeat(60_000);
    for (let i = 0; i < 80; i++) {
      await alice.request("PATCH", "/api/dashboards/me/state", {
        baseRev: 1 + i,
        ops: [{ op: "replace", path: "/widgets/a/props/markdown", value: `${big}${i}` }],
      });
    }
    tcp.resume();
    expect(await slow.closed(10_000)).toBe(4409);
    expect(s.app.realtimeHub.connectionCount).toBe(0);
  });

  it("returns to the baseline after 1000 connect/subscribe/disconnect cycles", async () => {
    const { server: s, alice } = await start();
    const hub = s.app.realtimeHub;
    const busListeners = s.runtime.bus.listenerCount("dashboard");
    for (let i = 0; i < 1000; i++) {
      const c = new WsClient(await openSocket(wsUrl(s), { authorization: `Bearer ${alice.token}` }));
      const id = c.send({ type: "subscribe", dashboardId: "me" });
      await c.next("subscribed", (f) => f.id === id);
      await c.close();
    }
    for (let i = 0; i < 100 && hub.connectionCount > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(hub.connectionCount).toBe(0);
    expect(hub.subscriptionCount("dashboards")).toBe(0);
    expect(s.runtime.bus.listenerCount("dashboard")).toBe(busListeners);
  }, 120_000);

  it("closes connections that stop answering pings", async () => {
    const { server: s, alice } = await start({ AGENTBOARD_WS_HEARTBEAT_MS: "1000" });
    const c = await track(connect(s, alice));
    const tcp = (c.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    tcp.pause();
    for (let i = 0; i < 100 && s.app.realtimeHub.connectionCount > 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(s.app.realtimeHub.connectionCount).toBe(0);
    tcp.resume();
  });
});
