import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AgentboardError,
  type ClientMessage,
  checkDashboardPatch,
  type DashboardState,
  defaultDashboardState,
  getAtPointer,
  type JsonPatchOp,
  PatchApplyError,
  pathsOverlap,
  type ServerMessage,
  StateValidationError,
  UnsupportedSchemaVersionError,
} from "@agentboard/protocol";
import {
  closedAfterEach,
  closedAfterTest,
  startEachTest,
  startTestServer,
  type TestServer,
} from "@agentboard/test-support";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WebSocket as NodeWebSocket } from "ws";
import {
  type BoardClientOptions,
  createBoardClient,
  type SyncClient,
  SyncClosedError,
  type SyncConflict,
  SyncNotReadyError,
  type SyncOptions,
  type SyncStatus,
  SyncTimeoutError,
  type WebSocketConstructor,
} from "../src/index.js";
import { note } from "./notes.js";

/**
 * A replica's view of the wire: a `ws` class that records every frame both ways and can be cut off like a
 * network (existing sockets terminated, new ones sent to a closed port) — the SDK sees real failures.
 */
class Wire {
  readonly received: ServerMessage[] = [];
  readonly sent: ClientMessage[] = [];
  readonly sockets = new Set<NodeWebSocket>();
  /** Sockets constructed so far (each one is a connection attempt). */
  created = 0;
  online = true;
  private holding = false;
  private readonly wakers = new Set<() => void>();
  private readonly held: Array<() => void> = [];
  private readonly heldMessages: ServerMessage[] = [];
  private readonly gated = new WeakMap<object, (event: MessageEvent) => void>();

  socketClass(): WebSocketConstructor {
    const wire = this;
    class RecordingWebSocket extends NodeWebSocket {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(wire.online ? url : "ws://127.0.0.1:9/offline", protocols);
        wire.created++;
        wire.sockets.add(this);
        this.on("close", () => wire.sockets.delete(this));
        this.on("message", (data) => {
          wire.received.push(JSON.parse(data.toString()) as ServerMessage);
          for (const wake of [...wire.wakers]) wake();
        });
      }
      override addEventListener(type: any, listener: any, options?: any): void {
        if (type !== "message") {
          super.addEventListener(type, listener, options);
          return;
        }
        const gate = (event: MessageEvent) => {
          if (!wire.holding) {
            listener.call(this, event);
            return;
          }
          wire.heldMessages.push(JSON.parse(String(event.data)) as ServerMessage);
          wire.held.push(() => listener.call(this, event));
        };
        wire.gated.set(listener, gate);
        super.addEventListener(type, gate, options);
      }
      override removeEventListener(type: any, listener: any): void {
        super.removeEventListener(type, wire.gated.get(listener) ?? listener);
      }
      override send(data: any, ...rest: any[]): void {
        wire.sent.push(JSON.parse(String(data)) as ClientMessage);
        (super.send as (...args: any[]) => void)(data, ...rest);
      }
    }
    return RecordingWebSocket as unknown as WebSocketConstructor;
  }

  /** Frames from the server are held back from the SDK until `release()` (a slow network, one way). */
  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    for (const deliver of this.held.splice(0)) deliver();
  }

  heldFrames(): ServerMessage[] {
    return this.heldMessages;
  }

  /** Resolves once `count` frames of `type` have arrived (held or not); rejects after the deadline. */
  framesArrived(type: ServerMessage["type"], count: number, timeoutMs = 5_000): Promise<void> {
    const found = () => this.received.filter((frame) => frame.type === type).length >= count;
    if (found()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const wake = () => {
        if (!found()) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `fewer than ${count} ${type} frames within ${timeoutMs} ms; got ${JSON.stringify(this.received.slice(-5))}`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
      };
      this.wakers.add(wake);
    });
  }

  cut(): void {
    this.online = false;
    for (const socket of this.sockets) socket.terminate();
  }

  frames<T extends ServerMessage["type"]>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.received.filter((frame): frame is Extract<ServerMessage, { type: T }> => frame.type === type);
  }
}

const FAST = { minReconnectDelayMs: 20, maxReconnectDelayMs: 200 };

/** Waits, event-driven with a deadline, until `check()` holds; reports `describe()` when it does not. */
async function until(
  what: string,
  check: () => boolean,
  replicas: SyncClient[],
  describe: () => unknown = () =>
    replicas.map((r) => ({ rev: r.rev, status: r.status, pending: r.pending.length })),
  timeoutMs = 10_000,
): Promise<void> {
  if (check()) return;
  await new Promise<void>((resolve, reject) => {
    const offs = replicas.flatMap((r) => [r.on("change", evaluate), r.on("status", evaluate)]);
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out waiting for ${what}; last seen ${JSON.stringify(describe())}`));
    }, timeoutMs);
    function cleanup() {
      clearTimeout(timer);
      for (const off of offs) off();
    }
    function evaluate() {
      if (!check()) return;
      cleanup();
      resolve();
    }
  });
}

let server: TestServer;
startEachTest((started) => {
  server = started;
});
const opened = closedAfterEach<SyncClient>();

/**
 * Runs `body` against a server with a data dir of its own (`server` while it runs), which the test may close
 * and then start again on the same port with `startAgain()`. The test's own server comes back afterwards.
 */
async function withRestartableServer(body: (startAgain: () => Promise<void>) => Promise<void>) {
  const shared = server;
  const dataDir = mkdtempSync(join(tmpdir(), "agentboard-sync-restart-"));
  server = await startTestServer({}, { dataDir });
  const port = Number(new URL(server.url).port);
  try {
    await body(async () => {
      server = await startTestServer({}, { dataDir, port });
    });
  } finally {
    await Promise.all(opened.splice(0).map((r) => r.close()));
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
    server = shared;
  }
}

type ConnectionOptions = Pick<BoardClientOptions, "minReconnectDelayMs" | "maxReconnectDelayMs">;

/** A board client (a tab) on the test's server whose sockets `wire` records. */
const boardOn = (token: string, wire: Wire, connection: ConnectionOptions = FAST) =>
  createBoardClient({ url: server.url, token, WebSocket: wire.socketClass(), ...connection });

/** A replica on a board client of its own (a tab), whose socket `wire` records. */
async function replica(
  token: string,
  dashboardId: string,
  wire = new Wire(),
  url = server.url,
  options: SyncOptions & ConnectionOptions = {},
) {
  const { initial, clientId, maxRebases, ...connection } = options;
  const board = createBoardClient({ url, token, WebSocket: wire.socketClass(), ...FAST, ...connection });
  const sync = board.sync(dashboardId, { initial, clientId, maxRebases });
  opened.push(sync);
  return { sync, wire };
}

/** The conflicts `replicas` report from now on. */
function conflictsOf(...replicas: SyncClient[]): SyncConflict[] {
  const conflicts: SyncConflict[] = [];
  for (const r of replicas) r.on("conflict", (conflict) => conflicts.push(conflict));
  return conflicts;
}

/** Alice's replica of "team", ready, after adding a note per id (confirmed), and the conflicts it reports. */
async function aliceWithNotes(...ids: string[]) {
  const alice = await server.caller({ name: "alice" });
  const a = await replica(alice.token, "team");
  await a.sync.ready();
  for (const id of ids) a.sync.apply([{ op: "add", path: `/widgets/${id}`, value: note(id, "v0") }]);
  await a.sync.flushed();
  return { alice, a, conflicts: conflictsOf(a.sync) };
}

describe("board.sync against the real server", () => {
  it("delivers A's edit to B once with the right rev; A gets its ack in place of an echo", async () => {
    const alice = await server.caller({ name: "alice" });
    const bob = await server.caller({ name: "bob" });
    const a = await replica(alice.token, "team");
    const b = await replica(bob.token, "team");
    await Promise.all([a.sync.ready(), b.sync.ready()]);
    expect(a.sync.status).toBe("connected");
    expect(a.sync.rev).toBe(0);
    expect(a.sync.clientId).not.toBe(b.sync.clientId);

    const changes: number[] = [];
    b.sync.on("change", (_state, rev) => changes.push(rev));
    const mutationId = a.sync.apply([{ op: "add", path: "/widgets/n1", value: note("n1", "Hello") }]);
    expect(a.sync.state?.widgets.n1?.title).toBe("Hello"); // optimistic, before any answer
    await a.sync.flushed();
    await until("B at rev 1", () => b.sync.rev === 1, [b.sync]);

    expect(a.sync.rev).toBe(1);
    expect(b.sync.state).toEqual(a.sync.state);
    expect(changes).toEqual([1]);
    const patches = b.wire.frames("patch");
    expect(patches).toHaveLength(1);
    // Another principal never learns alice's (clientId, mutationId): it could replay them as hers.
    expect(patches[0]).toMatchObject({ rev: 1, origin: {} });
    expect(b.sync.state?.widgets.n1?.updatedBy).toBe(`user:${alice.principal.id}`);
    expect(a.wire.frames("patch")).toHaveLength(0);
    expect(a.wire.frames("ack")).toEqual([expect.objectContaining({ rev: 1 })]);
    expect(a.wire.sent.filter((f) => f.type === "patch")).toEqual([
      expect.objectContaining({ baseRev: 0, clientId: a.sync.clientId, mutationId }),
    ]);
    expect((await alice.request("GET", "/api/dashboards/team/state")).body.rev).toBe(1);
  });

  it("applies offline edits on top of what changed meanwhile, and reports the ones that no longer apply", async () => {
    const { alice, a, conflicts } = await aliceWithNotes("n1", "gone");

    a.wire.cut();
    await until("A offline", () => a.sync.status === "reconnecting", [a.sync]);
    a.sync.apply([{ op: "replace", path: "/widgets/n1/title", value: "mine" }]);
    a.sync.apply([{ op: "replace", path: "/widgets/n1/props/markdown", value: "*" }]);
    const dropped = a.sync.apply([{ op: "replace", path: "/widgets/gone/title", value: "x" }]);
    // Meanwhile: n1 is retitled, removed and added again; "gone" is removed for good.
    const rest = createBoardClient({ url: server.url, token: alice.token });
    await rest.dashboards.patch("team", 2, [{ op: "replace", path: "/widgets/n1/title", value: "server" }]);
    await rest.dashboards.patch("team", 3, [{ op: "remove", path: "/widgets/n1" }]);
    await rest.dashboards.patch("team", 4, [{ op: "add", path: "/widgets/n1", value: note("n1", "again") }]);
    await rest.dashboards.removeWidget("team", "gone");
    a.wire.online = true;
    await a.sync.flushed();

    const doc = await rest.dashboards.get("team");
    await until("A at the server's rev", () => a.sync.rev === doc.rev, [a.sync]);
    expect(a.sync.state).toEqual(doc.state);
    // Judged against the caught-up state, not the intermediate one without n1: both n1 edits went through.
    expect(doc.state.widgets.n1).toMatchObject({ title: "mine", props: { markdown: "*" } });
    expect(doc.rev).toBe(8);
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]?.mutationId).toBe(dropped);
    expect(conflicts[0]?.error).toBeInstanceOf(PatchApplyError);
  });

  it("rebases after a conflict nack: resends on the new base with the same mutationId, or reports the edit", async () => {
    const { alice, a, conflicts } = await aliceWithNotes("n1", "n2");
    const rest = createBoardClient({ url: server.url, token: alice.token });

    // A does not hear about the other writer's change before it sends: its base is stale, the paths overlap.
    a.wire.hold();
    await rest.dashboards.patch("team", 2, [{ op: "replace", path: "/widgets/n1/title", value: "theirs" }]);
    const mine = a.sync.apply([{ op: "replace", path: "/widgets/n1/title", value: "mine" }]);
    await a.wire.framesArrived("nack", 1);
    a.wire.release();
    await a.sync.flushed();
    const sends = a.wire.sent.filter((f) => f.type === "patch" && f.mutationId === mine);
    expect(sends).toEqual([
      expect.objectContaining({ baseRev: 2, mutationId: mine }),
      expect.objectContaining({ baseRev: 3, mutationId: mine }),
    ]);
    expect(a.wire.frames("nack")).toEqual([
      expect.objectContaining({ error: "conflict", rev: 3, paths: ["/widgets/n1/title"] }),
    ]);
    expect((await rest.dashboards.get("team")).state.widgets.n1?.title).toBe("mine");

    // The same race, but the other writer removed the widget: the rebase fails and the edit is reported.
    a.wire.hold();
    await rest.dashboards.removeWidget("team", "n2");
    const doomed = a.sync.apply([{ op: "replace", path: "/widgets/n2/title", value: "mine" }]);
    await a.wire.framesArrived("nack", 2);
    a.wire.release();
    await a.sync.flushed();
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]).toMatchObject({ mutationId: doomed, error: { code: "conflict" } });
    const doc = await rest.dashboards.get("team");
    await until("A at the server's rev", () => a.sync.rev === doc.rev, [a.sync]);
    expect(a.sync.state).toEqual(doc.state);
    expect(a.sync.pending).toEqual([]);
  });

  it("catches up a replica that was away with exactly the missed patches, and past the log with one snapshot", async () => {
    // A server of its own with a short patch log, closed when the test ends.
    server = await closedAfterTest(startTestServer({ AGENTBOARD_PATCH_LOG_LIMIT: "10" }));
    const alice = await server.caller({ name: "alice" });
    const rest = createBoardClient({ url: server.url, token: alice.token });
    const b = await replica(alice.token, "team");
    await b.sync.ready();

    /** B is offline while revs `from + 1`..`to` are written, then reconnects: the frames of its catch-up. */
    const missWhileOffline = async (from: number, to: number) => {
      b.wire.cut();
      await until("B offline", () => b.sync.status === "reconnecting", [b.sync]);
      for (let i = from; i < to; i++)
        await rest.dashboards.patch("team", i, [
          { op: "add", path: "/preferences/theme", value: i % 2 ? "dark" : "light" },
        ]);
      const mark = b.wire.received.length;
      b.wire.online = true;
      await until(`B at rev ${to}`, () => b.sync.rev === to, [b.sync]);
      return b.wire.received.slice(mark);
    };

    const caughtUp = await missWhileOffline(0, 8);
    expect(caughtUp.filter((f) => f.type === "snapshot")).toHaveLength(0);
    expect(caughtUp.filter((f) => f.type === "patch").map((f) => (f as { rev: number }).rev)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8,
    ]);
    expect(b.wire.sent.filter((f) => f.type === "subscribe").at(-1)).toMatchObject({ sinceRev: 0 });

    const later = await missWhileOffline(8, 38);
    expect(later.filter((f) => f.type === "snapshot")).toHaveLength(1);
    expect(later.filter((f) => f.type === "patch")).toHaveLength(0);
    expect(b.sync.state).toEqual((await rest.dashboards.get("team")).state);
  });

  it("survives a server restart: edits made while it is down are applied exactly once", async () => {
    await withRestartableServer(async (startAgain) => {
      const alice = await server.caller({ name: "alice" });
      const a = await replica(alice.token, "team");
      const b = await replica(alice.token, "team");
      await Promise.all([a.sync.ready(), b.sync.ready()]);
      a.sync.apply([{ op: "add", path: "/widgets/n1", value: note("n1", "before") }]);
      await a.sync.flushed();
      const statuses: SyncStatus[] = [];
      a.sync.on("status", (status) => statuses.push(status));

      await server.close();
      await until(
        "both reconnecting",
        () => a.sync.status === "reconnecting" && b.sync.status === "reconnecting",
        [a.sync, b.sync],
      );
      // Not idempotent on purpose: applied twice, the layout would hold the widget twice.
      const placed = a.sync.apply([
        { op: "add", path: "/layout/items/-", value: { widgetId: "n1", x: 0, y: 0, w: 4, h: 2 } },
      ]);
      a.sync.apply([{ op: "replace", path: "/widgets/n1/title", value: "offline" }]);
      expect(a.sync.pending.map((p) => p.mutationId)[0]).toBe(placed);
      await expect(a.sync.flushed({ timeoutMs: 50 })).rejects.toBeInstanceOf(SyncTimeoutError);

      await startAgain();
      await a.sync.flushed({ timeoutMs: 15_000 });
      const doc = await createBoardClient({ url: server.url, token: alice.token }).dashboards.get("team");
      expect(doc.rev).toBe(3);
      expect(doc.state.layout.items).toEqual([{ widgetId: "n1", x: 0, y: 0, w: 4, h: 2 }]);
      expect(doc.state.widgets.n1?.title).toBe("offline");
      await until("both at rev 3", () => a.sync.rev === 3 && b.sync.rev === 3, [a.sync, b.sync]);
      expect(a.sync.state).toEqual(doc.state);
      expect(b.sync.state).toEqual(doc.state);
      expect(statuses).toEqual(["reconnecting", "connected"]);
    });
  });

  it("delivers refresh requests to the widget's writer", async () => {
    const alice = await server.caller({ name: "alice" });
    const agent = await server.caller({ kind: "agent", name: "planner" });
    const id = `user:${alice.principal.id}`;
    await createBoardClient({ url: server.url, token: agent.token }).dashboards.upsertWidget(id, "kpi", {
      type: "note",
      title: "KPIs",
      props: { markdown: "1" },
    });
    const a = await replica(agent.token, id);
    await a.sync.ready();
    const refreshed: string[] = [];
    a.sync.on("refresh", (widgetId) => refreshed.push(widgetId));
    expect((await alice.request("POST", `/api/dashboards/me/widgets/kpi/refresh`)).status).toBe(202);
    await until(
      "the loading status and the refresh",
      () => refreshed.length === 1,
      [a.sync],
      () => refreshed,
    );
    expect(refreshed).toEqual(["kpi"]);
    await until("loading", () => a.sync.state?.widgets.kpi?.status === "loading", [a.sync]);
  });
});

describe("board.sync API guarantees", () => {
  it("validates apply() synchronously with typed errors and refuses it before the first snapshot", async () => {
    const alice = await server.caller({ name: "alice" });
    const { sync } = await replica(alice.token, "team");
    expect(() => sync.apply([{ op: "add", path: "/preferences/theme", value: "dark" }])).toThrow(
      SyncNotReadyError,
    );
    await sync.ready();
    expect(() => sync.apply([{ op: "replace", path: "/widgets/nope/title", value: "x" }])).toThrow(
      PatchApplyError,
    );
    expect(() => sync.apply([{ op: "add", path: "/constructor", value: 1 }])).toThrow(AgentboardError);
    expect(sync.pending).toEqual([]);
  });

  it("goes offline with an error when the credentials are refused, and rejects waits with it", async () => {
    const board = createBoardClient({ url: server.url, token: "ab_not_a_token", ...FAST });
    const sync = board.sync("team");
    opened.push(sync);
    const errors: Error[] = [];
    sync.on("error", (error) => errors.push(error));
    await expect(sync.ready({ timeoutMs: 5_000 })).rejects.toMatchObject({ code: "unauthorized" });
    expect(sync.status).toBe("offline");
    expect(errors).toEqual([expect.objectContaining({ code: "unauthorized" })]);
  });

  it("goes offline when the subscription is forbidden", async () => {
    const alice = await server.caller({ name: "alice" });
    const bob = await server.caller({ name: "bob" });
    const { sync } = await replica(bob.token, `user:${alice.principal.id}`);
    await expect(sync.ready({ timeoutMs: 5_000 })).rejects.toMatchObject({ code: "forbidden" });
    expect(sync.status).toBe("offline");
  });

  it("rejects waits on timeout, abort and close, and leaves no listener behind", async () => {
    const alice = await server.caller({ name: "alice" });
    const wire = new Wire();
    wire.online = false;
    const { sync } = await replica(alice.token, "team", wire);
    await expect(sync.ready({ timeoutMs: 30 })).rejects.toBeInstanceOf(SyncTimeoutError);
    const controller = new AbortController();
    const aborted = sync.ready({ signal: controller.signal });
    controller.abort(new Error("stop"));
    await expect(aborted).rejects.toThrow("stop");
    const pendingReady = sync.ready();
    await sync.close();
    await expect(pendingReady).rejects.toBeInstanceOf(SyncClosedError);
    expect(sync.status).toBe("offline");
    expect(() => sync.apply([])).toThrow(SyncClosedError);
  });

  it("closes without leaving sockets, timers or server connections behind", async () => {
    const alice = await server.caller({ name: "alice" });
    const board = createBoardClient({ url: server.url, token: alice.token, ...FAST });
    await board.dashboards.get("team"); // warm the HTTP keep-alive pool the ticket requests reuse
    // Handles of this process (client and server side); immediates come and go with any I/O.
    const count = () =>
      process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap" && r !== "Immediate").length;
    const baseline = count();
    for (let round = 0; round < 5; round++) {
      const sync = board.sync("team");
      await sync.ready();
      sync.apply([{ op: "add", path: "/preferences/theme", value: round % 2 ? "dark" : "light" }]);
      await sync.flushed();
      await sync.close();
      // close() resolves only once the socket is closed: no socket or timer of the client is left.
      expect(count(), JSON.stringify(process.getActiveResourcesInfo())).toBeLessThanOrEqual(baseline);
      expect(sync.status).toBe("offline");
    }
    const hub = server.app.realtimeHub;
    for (let i = 0; i < 100 && hub.connectionCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(hub.connectionCount).toBe(0);
    expect(hub.subscriptionCount("dashboards")).toBe(0);
    expect(count(), JSON.stringify(process.getActiveResourcesInfo())).toBeLessThanOrEqual(baseline);
  });
});

const layoutItem = (widgetId: string, y = 0) => ({ widgetId, x: 0, y, w: 4, h: 2 });

describe("board.sync from a cached copy (initial)", () => {
  it("at the server's rev: usable before any network; the edit made before ready reaches the server once", async () => {
    const alice = await server.caller({ name: "alice" });
    const rest = createBoardClient({ url: server.url, token: alice.token });
    // Written as a patch, so the widget has no layout item yet (upsertWidget would place it).
    await rest.dashboards.patch("team", 0, [{ op: "add", path: "/widgets/n1", value: note("n1", "One") }]);
    const cached = await rest.dashboards.get("team");

    const { sync, wire } = await replica(alice.token, "team", new Wire(), server.url, {
      initial: { rev: cached.rev, state: cached.state },
    });
    // Synchronously after board.sync(): no socket can have opened yet.
    expect(sync.state).toEqual(cached.state);
    expect(sync.confirmedState).toEqual(cached.state);
    expect(sync.rev).toBe(cached.rev);
    expect(sync.status).toBe("connecting");
    // Not idempotent on purpose: applied twice, the layout would hold the item twice.
    const mutationId = sync.apply([{ op: "add", path: "/layout/items/-", value: layoutItem("n1") }]);
    expect(sync.state?.layout.items).toEqual([layoutItem("n1")]);
    expect(sync.pending.map((p) => p.mutationId)).toEqual([mutationId]);
    expect(wire.sent).toEqual([]);

    await sync.ready();
    await sync.flushed();
    const doc = await rest.dashboards.get("team");
    expect(doc.rev).toBe(cached.rev + 1);
    expect(doc.state.layout.items).toEqual([layoutItem("n1")]);
    expect(sync.rev).toBe(doc.rev);
    expect(sync.state).toEqual(doc.state);
    expect(sync.confirmedState).toEqual(doc.state);
    expect(wire.sent.find((f) => f.type === "subscribe")).toMatchObject({ sinceRev: cached.rev });
    expect(wire.frames("snapshot")).toEqual([]);
    expect(wire.sent.filter((f) => f.type === "patch")).toEqual([
      expect.objectContaining({ baseRev: cached.rev, mutationId }),
    ]);
  });

  it("behind the server: catches up with the missed patches, sends the local edits on top, and reports the ones that no longer apply", async () => {
    const alice = await server.caller({ name: "alice" });
    const rest = createBoardClient({ url: server.url, token: alice.token });
    await rest.dashboards.patch(
      "team",
      0,
      ["n1", "n2", "n3"].map((id) => ({ op: "add", path: `/widgets/${id}`, value: note(id, id) })),
    );
    const cached = await rest.dashboards.get("team");
    // Three changes the cached copy has not seen.
    await rest.dashboards.patch("team", cached.rev, [
      { op: "replace", path: "/widgets/n1/title", value: "server" },
    ]);
    await rest.dashboards.removeWidget("team", "n2");
    const missed = await rest.dashboards.patch("team", cached.rev + 2, [
      { op: "add", path: "/preferences/theme", value: "dark" },
    ]);
    expect(missed.rev).toBe(cached.rev + 3);

    const { sync, wire } = await replica(alice.token, "team", new Wire(), server.url, {
      initial: { rev: cached.rev, state: cached.state },
    });
    const conflicts = conflictsOf(sync);
    // On a path nobody else touched.
    sync.apply([{ op: "add", path: "/layout/items/-", value: layoutItem("n3") }]);
    // Guarded by a `test` of the cached value of a path the server changed meanwhile: a conflict.
    const guarded = sync.apply([
      { op: "test", path: "/widgets/n1/title", value: "n1" },
      { op: "replace", path: "/widgets/n1/props/markdown", value: "guarded" },
    ]);
    // The same path unguarded: judged against the caught-up state, where it still applies (last writer wins).
    sync.apply([{ op: "replace", path: "/widgets/n1/title", value: "mine" }]);
    // On a widget the server removed meanwhile: no longer applies, a conflict.
    const removed = sync.apply([{ op: "replace", path: "/widgets/n2/title", value: "mine" }]);

    await sync.ready();
    await sync.flushed();
    const doc = await rest.dashboards.get("team");
    await until("the replica at the server's rev", () => sync.rev === doc.rev, [sync]);
    expect(sync.state).toEqual(doc.state);
    // The missed server changes and the local edits, each once.
    expect(doc.rev).toBe(missed.rev + 2);
    expect(doc.state.preferences.theme).toBe("dark");
    expect(doc.state.widgets.n2).toBeUndefined();
    expect(doc.state.layout.items).toEqual([layoutItem("n3")]);
    expect(doc.state.widgets.n1).toMatchObject({ title: "mine", props: { markdown: "" } });
    expect(conflicts.map((c) => c.mutationId)).toEqual([guarded, removed]);
    for (const conflict of conflicts) expect(conflict.error).toBeInstanceOf(PatchApplyError);
    // Exactly the missed patches, no snapshot.
    expect(wire.sent.find((f) => f.type === "subscribe")).toMatchObject({ sinceRev: cached.rev });
    expect(wire.frames("snapshot")).toEqual([]);
    expect(wire.frames("patch").map((f) => f.rev)).toEqual([cached.rev + 1, cached.rev + 2, cached.rev + 3]);
  });

  it("ahead of the server (cached rev 50, server rev 3): the server's snapshot wins and the local edits are rebased on it", async () => {
    const alice = await server.caller({ name: "alice" });
    const rest = createBoardClient({ url: server.url, token: alice.token });
    await rest.dashboards.patch("team", 0, [{ op: "add", path: "/widgets/n1", value: note("n1", "n1") }]);
    await rest.dashboards.patch("team", 1, [{ op: "add", path: "/widgets/n2", value: note("n2", "n2") }]);
    await rest.dashboards.patch("team", 2, [{ op: "add", path: "/preferences/theme", value: "light" }]);
    // A copy from a history the server no longer has (say, before its data was restored from a backup).
    const cachedState: DashboardState = {
      ...defaultDashboardState(),
      widgets: { n1: note("n1", "cached") as never, old: note("old", "old") as never },
      preferences: { theme: "dark" },
    };
    const { sync, wire } = await replica(alice.token, "team", new Wire(), server.url, {
      initial: { rev: 50, state: cachedState },
    });
    const conflicts = conflictsOf(sync);
    expect(sync.rev).toBe(50);
    const retitle = sync.apply([{ op: "replace", path: "/widgets/n1/title", value: "mine" }]);
    const added = sync.apply([{ op: "add", path: "/widgets/n9", value: note("n9", "new") }]);
    const lost = sync.apply([{ op: "replace", path: "/widgets/old/title", value: "mine" }]);

    await sync.ready();
    await sync.flushed();
    const doc = await rest.dashboards.get("team");
    await until("the replica at the server's rev", () => sync.rev === doc.rev, [sync]);
    expect(doc.rev).toBe(5);
    expect(sync.state).toEqual(doc.state);
    expect(sync.confirmedState).toEqual(doc.state);
    // The server's snapshot is the base: its theme and n2 stay, the cached-only widget is gone.
    expect(doc.state.preferences.theme).toBe("light");
    expect(Object.keys(doc.state.widgets).sort()).toEqual(["n1", "n2", "n9"]);
    expect(doc.state.widgets.n1?.title).toBe("mine");
    expect(conflicts.map((c) => c.mutationId)).toEqual([lost]);
    expect(conflicts[0]?.error).toBeInstanceOf(PatchApplyError);
    expect(wire.sent.find((f) => f.type === "subscribe")).toMatchObject({ sinceRev: 50 });
    expect(wire.frames("snapshot")).toEqual([expect.objectContaining({ rev: 3 })]);
    expect(
      wire.sent.filter((f) => f.type === "patch").map((f) => (f as { mutationId: string }).mutationId),
    ).toEqual([retitle, added]);
  });

  it("validates initial synchronously with the protocol's typed errors, before anything connects", async () => {
    const alice = await server.caller({ name: "alice" });
    const wire = new Wire();
    const board = boardOn(alice.token, wire);
    const open = (initial: unknown) => board.sync("team", { initial: initial as SyncOptions["initial"] });
    const state = defaultDashboardState();
    for (const rev of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "3", undefined]) {
      expect(() => open({ rev, state }), String(rev)).toThrow(
        expect.objectContaining({ code: "invalid", message: expect.stringContaining("initial.rev") }),
      );
    }
    expect(() => open(null)).toThrow(AgentboardError);
    expect(() => open({ rev: 1, state: { ...state, widgets: [] } })).toThrow(StateValidationError);
    expect(() => open({ rev: 1, state: { ...state, layout: { columns: 12, items: "x" } } })).toThrow(
      StateValidationError,
    );
    expect(() => open({ rev: 1, state: { ...state, schemaVersion: 99 } })).toThrow(
      UnsupportedSchemaVersionError,
    );
    expect(() => open({ rev: 1 })).toThrow(StateValidationError);

    // An older schemaVersion is migrated like any stored copy; the replica keeps its own copy of it.
    const v0 = {
      theme: "dark",
      widgets: [{ id: "legacy", type: "note", title: "L", props: { markdown: "" } }],
    };
    const migrated = open({ rev: 0, state: v0 });
    opened.push(migrated);
    expect(migrated.state?.schemaVersion).toBe(1);
    expect(migrated.state?.widgets.legacy?.title).toBe("L");
    expect(migrated.state?.preferences.theme).toBe("dark");
    const mine: DashboardState = { ...state, preferences: { theme: "dark" } };
    const copy = open({ rev: 0, state: mine });
    opened.push(copy);
    mine.preferences.theme = "light";
    expect(copy.state?.preferences.theme).toBe("dark");
    await Promise.all([migrated.ready(), copy.ready()]);
    // Only the two valid replicas connected.
    expect(wire.created).toBe(2);
  });
});

describe("board.sync reconnect()", () => {
  const SLOW = { minReconnectDelayMs: 30_000, maxReconnectDelayMs: 60_000 };

  it("cuts a long backoff short after the server went away, and opens one socket however often it is called", async () => {
    await withRestartableServer(async (startAgain) => {
      const alice = await server.caller({ name: "alice" });
      const { sync, wire } = await replica(alice.token, "team", new Wire(), server.url, SLOW);
      await sync.ready();
      await server.close();
      await until("reconnecting", () => sync.status === "reconnecting", [sync]);
      await startAgain();
      // The backoff after the drop is at least 15 s (half of a 30 s step): nothing tried meanwhile.
      const before = wire.created;
      expect(before).toBe(1);

      sync.reconnect();
      sync.reconnect();
      // Well before the backoff would end: the test fails on this wait's 10 s deadline otherwise.
      await until("connected again", () => sync.status === "connected", [sync], undefined, 10_000);
      sync.apply([{ op: "add", path: "/preferences/theme", value: "dark" }]);
      await sync.flushed({ timeoutMs: 10_000 });
      expect(wire.created - before).toBe(1);
      expect(server.app.realtimeHub.connectionCount).toBe(1);
    });
  }, 20_000);

  it("replaces an open socket once for several quick calls; does nothing after close() and leaves nothing behind", async () => {
    const alice = await server.caller({ name: "alice" });
    const wire = new Wire();
    const board = boardOn(alice.token, wire, SLOW);
    await board.dashboards.get("team"); // warm the HTTP keep-alive pool the ticket requests reuse
    const count = () =>
      process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap" && r !== "Immediate").length;
    const baseline = count();
    const sync = board.sync("team");
    await sync.ready();
    const statuses: SyncStatus[] = [];
    sync.on("status", (status) => statuses.push(status));

    sync.reconnect();
    sync.reconnect();
    sync.reconnect();
    await until("connected again", () => sync.status === "connected" && statuses.length > 0, [sync]);
    sync.apply([{ op: "add", path: "/preferences/theme", value: "dark" }]);
    await sync.flushed({ timeoutMs: 10_000 });
    expect(statuses).toEqual(["reconnecting", "connected"]);
    expect(wire.created).toBe(2);
    const hub = server.app.realtimeHub;
    for (let i = 0; i < 100 && hub.connectionCount > 1; i++) await new Promise((r) => setTimeout(r, 10));
    expect(hub.connectionCount).toBe(1);
    expect(wire.frames("subscribed")).toHaveLength(2);

    await sync.close();
    sync.reconnect();
    expect(sync.status).toBe("offline");
    expect(() => sync.apply([])).toThrow(SyncClosedError);
    for (let i = 0; i < 100 && hub.connectionCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(hub.connectionCount).toBe(0);
    expect(wire.created).toBe(2);
    expect(count(), JSON.stringify(process.getActiveResourcesInfo())).toBeLessThanOrEqual(baseline);
  });

  it("ends a backoff wait on close() without leaving its timer behind", async () => {
    const alice = await server.caller({ name: "alice" });
    const wire = new Wire();
    const board = boardOn(alice.token, wire, SLOW);
    await board.dashboards.get("team");
    const count = () =>
      process.getActiveResourcesInfo().filter((r) => r !== "TTYWrap" && r !== "Immediate").length;
    const baseline = count();
    const sync = board.sync("team");
    await sync.ready();
    wire.cut(); // the drop starts a backoff wait of at least 15 s
    await until("reconnecting", () => sync.status === "reconnecting", [sync]);
    await sync.close();
    sync.reconnect();
    const hub = server.app.realtimeHub;
    for (let i = 0; i < 100 && hub.connectionCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(wire.created).toBe(1);
    expect(count(), JSON.stringify(process.getActiveResourcesInfo())).toBeLessThanOrEqual(baseline);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Property: concurrent replicas through the real server converge, and acknowledged edits are never lost.

type Edit =
  | { kind: "upsert" | "title" | "markdown"; widget: number; text: string }
  | { kind: "remove"; widget: number }
  | { kind: "theme"; theme: "light" | "dark" | "system" };

function opsFor(edit: Edit): JsonPatchOp[] {
  if (edit.kind === "theme") return [{ op: "add", path: "/preferences/theme", value: edit.theme }];
  const id = `w${edit.widget}`;
  switch (edit.kind) {
    case "upsert":
      return [{ op: "add", path: `/widgets/${id}`, value: note(id, edit.text, edit.text) }];
    case "title":
      return [{ op: "replace", path: `/widgets/${id}/title`, value: edit.text }];
    case "markdown":
      return [{ op: "replace", path: `/widgets/${id}/props/markdown`, value: edit.text }];
    case "remove":
      return [{ op: "remove", path: `/widgets/${id}` }];
  }
}

const text = fc.string({ maxLength: 4 });
const widget = fc.integer({ min: 0, max: 2 });
const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    kind: fc.constantFrom("upsert" as const, "title" as const, "markdown" as const),
    widget,
    text,
  }),
  fc.record({ kind: fc.constant("remove" as const), widget }),
  fc.record({
    kind: fc.constant("theme" as const),
    theme: fc.constantFrom("light" as const, "dark" as const, "system" as const),
  }),
);

/** One acknowledged commit of a run: the writer's ops and who wrote them (`<kind>:<id>`). */
interface Commit {
  ops: JsonPatchOp[];
  by: string;
}

/** The commits of a run, rebuilt from the acks each writer got: rev → commit. */
function commitsFrom(wires: Wire[], writers: string[]): Map<number, Commit> {
  const commits = new Map<number, Commit>();
  wires.forEach((wire, i) => {
    const sent = new Map(wire.sent.filter((f) => f.type === "patch").map((f) => [f.id, f]));
    for (const ack of wire.frames("ack")) {
      const patch = sent.get(ack.id);
      if (patch?.type === "patch") commits.set(ack.rev, { ops: patch.ops, by: writers[i]! });
    }
  });
  return commits;
}

/** Widgets' stamps are the server's: compare what a writer wrote without them. */
function withoutStamps(value: unknown): unknown {
  if (typeof value !== "object" || value === null || !("updatedBy" in value)) return value;
  const { updatedBy: _by, updatedAt: _at, ...rest } = value as Record<string, unknown>;
  return rest;
}

function assertAcknowledgedEditsSurvive(commits: Map<number, Commit>, state: DashboardState) {
  for (const [rev, { ops }] of commits) {
    for (const op of ops) {
      const overwritten = [...commits].some(
        ([later, { ops: laterOps }]) =>
          later > rev && checkDashboardPatch(laterOps).some((p) => pathsOverlap(p, op.path)),
      );
      if (overwritten) continue;
      const value = getAtPointer(state, op.path);
      if (op.op === "remove") expect(value, `rev ${rev} removed ${op.path}`).toBeUndefined();
      else if ("value" in op)
        expect(withoutStamps(value), `rev ${rev} wrote ${op.path}`).toEqual(withoutStamps(op.value));
    }
  }
  // Attribution is the server's: every widget names a principal that really wrote to it, never the
  // `updatedBy` a replica put in its ops.
  for (const [id, widget] of Object.entries(state.widgets)) {
    const writers = [...commits.values()]
      .filter(({ ops }) =>
        ops.some((op) => op.path === `/widgets/${id}` || op.path.startsWith(`/widgets/${id}/`)),
      )
      .map(({ by }) => by);
    expect(writers, `widget ${id} was written`).not.toEqual([]);
    expect(writers, `widget ${id} updatedBy`).toContain(widget.updatedBy);
  }
}

describe("property: replicas through the real server", () => {
  it("2–6 replicas of random principals with random concurrent edits converge on the server's state; acknowledged edits survive unless overwritten later", async () => {
    // Principals chosen at random per replica: users and an agent, so one principal's idempotency keys,
    // origins and widget stamps never leak into another's.
    const callers = await Promise.all([
      server.caller({ name: "alice" }),
      server.caller({ name: "bob" }),
      server.caller({ name: "carol", role: "admin" }),
      server.caller({ kind: "agent", name: "planner" }),
    ]);
    const refs = callers.map(({ principal }) => `${principal.kind}:${principal.id}`);
    const board = createBoardClient({ url: server.url, token: callers[0]!.token });
    let run = 0;
    const totals = { commits: 0, conflicts: 0, nacks: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 6 }),
        fc.array(fc.nat({ max: callers.length - 1 }), { minLength: 6, maxLength: 6 }),
        fc.array(fc.record({ replica: fc.nat(), edit: editArb, pause: fc.boolean() }), {
          minLength: 10,
          maxLength: 40,
          size: "max",
        }),
        async (count, principalOf, steps) => {
          const slug = `prop-${++run}`;
          const wires = Array.from({ length: count }, () => new Wire());
          const writers = wires.map((_, i) => refs[principalOf[i]!]!);
          // A board client per replica (a tab each), so each wire records one replica's frames.
          const replicas = wires.map((wire, i) => boardOn(callers[principalOf[i]!]!.token, wire).sync(slug));
          const conflicts = conflictsOf(...replicas);
          try {
            await Promise.all(replicas.map((r) => r.ready({ timeoutMs: 10_000 })));
            for (const step of steps) {
              const r = replicas[step.replica % count]!;
              try {
                r.apply(opsFor(step.edit));
              } catch (error) {
                if (!AgentboardError.isInstance(error)) throw error; // does not apply to what r sees
              }
              if (step.pause) await new Promise((resolve) => setTimeout(resolve, 1));
            }
            await Promise.all(replicas.map((r) => r.flushed({ timeoutMs: 20_000 })));
            const doc = await board.dashboards.get(slug);
            await until(
              "every replica at the server's rev",
              () => replicas.every((r) => r.rev === doc.rev),
              replicas,
            );
            for (const r of replicas) {
              expect(r.pending).toEqual([]);
              expect(r.state).toEqual(doc.state);
            }
            const commits = commitsFrom(wires, writers);
            // Every rev was written by exactly one of the replicas, and each acked its own write.
            expect([...commits.keys()].sort((x, y) => x - y)).toEqual(
              Array.from({ length: doc.rev }, (_, i) => i + 1),
            );
            assertAcknowledgedEditsSurvive(commits, doc.state);
            totals.commits += doc.rev;
            totals.conflicts += conflicts.length;
            totals.nacks += wires.reduce((n, w) => n + w.frames("nack").length, 0);
          } finally {
            await Promise.all(replicas.map((r) => r.close()));
          }
        },
      ),
      { numRuns: 15 },
    );
    // Worth something only if the runs commit edits and race each other into server conflicts.
    expect(totals.commits).toBeGreaterThan(50);
    expect(totals.nacks).toBeGreaterThan(0);
  }, 90_000);
});
