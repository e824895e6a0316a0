import {
  AgentboardError,
  applyDashboardPatch,
  type ClientMessage,
  checkDashboardPatch,
  type DashboardState,
  defaultDashboardState,
  type JsonPatchOp,
  overlappingPaths,
  PatchApplyError,
  PatchPathError,
  type ServerMessage,
} from "@agentboard/protocol";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type EngineEffects, ReplicaEngine, type SyncConflict } from "../src/sync/replica-engine.js";
import { SyncNotReadyError } from "../src/sync/sync-errors.js";
import { note } from "./notes.js";

const addWidget = (id: string, title = id): JsonPatchOp[] => [
  { op: "add", path: `/widgets/${id}`, value: note(id, title) },
];
const setTitle = (id: string, title: string): JsonPatchOp[] => [
  { op: "replace", path: `/widgets/${id}/title`, value: title },
];
const setTheme = (theme: "light" | "dark" | "system"): JsonPatchOp[] => [
  { op: "add", path: "/preferences/theme", value: theme },
];

function stateWith(...ops: JsonPatchOp[][]): DashboardState {
  return ops.reduce((state, patch) => applyDashboardPatch(state, patch).state, defaultDashboardState());
}

/** An engine subscribed and caught up at `rev` with `state`. */
function liveEngine(state: DashboardState = defaultDashboardState(), rev = 0, clientId = "c1") {
  const engine = new ReplicaEngine({ dashboardId: "team", clientId });
  engine.subscribeMessage();
  engine.onSubscribed(rev);
  engine.onSnapshot(rev, state);
  expect(engine.isLive).toBe(true);
  return engine;
}

const remote = (rev: number, ops: JsonPatchOp[], clientId = "other", mutationId = `m${rev}`) => ({
  rev,
  ops,
  origin: { clientId, mutationId },
});

describe("ReplicaEngine: local edits and acks", () => {
  it("applies optimistically, sends the head with baseRev = R, and confirms it on an ack at R + 1", () => {
    const engine = liveEngine(stateWith(addWidget("a")), 4);
    const mutationId = engine.apply(setTitle("a", "A!"));
    expect(mutationId).toBe("c1:1");
    expect(engine.state?.widgets.a?.title).toBe("A!");
    expect(engine.confirmedState?.widgets.a?.title).toBe("a");

    const sent = engine.nextToSend();
    expect(sent).toMatchObject({
      type: "patch",
      baseRev: 4,
      clientId: "c1",
      mutationId,
      dashboardId: "team",
    });
    expect(engine.nextToSend()).toBeUndefined(); // one in flight at a time

    const effects = engine.onAck({ id: sent!.id, rev: 5 });
    expect(effects).toMatchObject({ changed: true, resync: false, conflicts: [] });
    expect(engine.rev).toBe(5);
    expect(engine.confirmedState?.widgets.a?.title).toBe("A!");
    expect(engine.pending).toEqual([]);
  });

  it("takes remote patches that precede the ack in stream position, then confirms on top of them", () => {
    const engine = liveEngine(stateWith(addWidget("a"), addWidget("b")), 1);
    engine.apply(setTitle("a", "mine"));
    const sent = engine.nextToSend()!;
    engine.onRemotePatch(remote(2, setTitle("b", "theirs")));
    expect(engine.state?.widgets.a?.title).toBe("mine");
    expect(engine.state?.widgets.b?.title).toBe("theirs");
    engine.onAck({ id: sent.id, rev: 3 });
    expect(engine.rev).toBe(3);
    expect(engine.confirmedState?.widgets.a?.title).toBe("mine");
    expect(engine.confirmedState?.widgets.b?.title).toBe("theirs");
    expect(engine.pending).toHaveLength(0);
  });

  it("drops the head on a replay ack at or below R without applying it again", () => {
    const engine = liveEngine(stateWith(addWidget("a")), 3);
    engine.apply([{ op: "add", path: "/layout/items/-", value: { widgetId: "a", x: 0, y: 0, w: 4, h: 4 } }]);
    const sent = engine.nextToSend()!;
    engine.onDisconnect();
    // The commit made it (rev 4) and came back through the catch-up of a snapshot.
    engine.subscribeMessage();
    engine.onSubscribed(4);
    const committed = applyDashboardPatch(engine.confirmedState!, sent.ops).state;
    engine.onSnapshot(4, committed);
    const resent = engine.nextToSend()!;
    expect(resent.mutationId).toBe(sent.mutationId);
    const effects = engine.onAck({ id: resent.id, rev: 4 });
    expect(effects.resync).toBe(false);
    expect(engine.rev).toBe(4);
    expect(engine.pending).toHaveLength(0);
    expect(engine.state?.layout.items).toHaveLength(1);
  });

  it("asks for a resync when an ack or a remote patch skips revs, and keeps the unconfirmed head", () => {
    const engine = liveEngine(stateWith(addWidget("a")), 1);
    expect(engine.onRemotePatch(remote(3, setTheme("dark"))).resync).toBe(true);
    expect(engine.rev).toBe(1);
    engine.apply(setTitle("a", "x"));
    const sent = engine.nextToSend()!;
    expect(engine.onAck({ id: sent.id, rev: 5 }).resync).toBe(true);
    expect(engine.rev).toBe(1);
    expect(engine.pending).toHaveLength(1);
  });

  it("ignores duplicates of revs it has and answers to requests it does not track", () => {
    const engine = liveEngine(stateWith(addWidget("a")), 2);
    expect(engine.onRemotePatch(remote(2, setTheme("dark")))).toMatchObject({
      changed: false,
      resync: false,
    });
    expect(engine.onAck({ id: "p999", rev: 3 })).toMatchObject({ changed: false, resync: false });
    expect(engine.state?.preferences.theme).toBeUndefined();
  });
});

describe("ReplicaEngine: conflicts and rebase", () => {
  it("rebases the head after a conflict nack and resends it with the new baseRev and the same mutationId", () => {
    const engine = liveEngine(stateWith(addWidget("a")), 1);
    engine.apply(setTitle("a", "mine"));
    const first = engine.nextToSend()!;
    engine.onRemotePatch(remote(2, setTitle("a", "theirs")));
    // The optimistic view keeps showing our edit on top of theirs.
    expect(engine.state?.widgets.a?.title).toBe("mine");
    const effects = engine.onNack({
      id: first.id,
      error: "conflict",
      message: "changed",
      rev: 2,
      paths: ["/widgets/a/title"],
    });
    expect(effects.conflicts).toEqual([]);
    const second = engine.nextToSend()!;
    expect(second).toMatchObject({ baseRev: 2, mutationId: first.mutationId, ops: first.ops });
    expect(second.id).not.toBe(first.id);
    engine.onAck({ id: second.id, rev: 3 });
    expect(engine.confirmedState?.widgets.a?.title).toBe("mine");
  });

  it("drops an edit that no longer applies after the conflict, with a conflict event, and the edits built on it", () => {
    const engine = liveEngine(stateWith(addWidget("a")), 1);
    const retitle = engine.apply(setTitle("a", "mine"));
    const retheme = engine.apply(setTheme("dark"));
    const again = engine.apply(setTitle("a", "mine again"));
    const sent = engine.nextToSend()!;
    // Someone removed the widget meanwhile: later edits of it no longer apply and go at once.
    const removal = engine.onRemotePatch(remote(2, [{ op: "remove", path: "/widgets/a" }]));
    expect(removal.conflicts.map((c) => c.mutationId)).toEqual([again]);
    expect(removal.conflicts[0]?.error).toBeInstanceOf(PatchApplyError);
    // The head is in flight (it may still be committed), so only the server's answer may drop it.
    expect(engine.pending.map((p) => p.mutationId)).toEqual([retitle, retheme]);
    const nack = engine.onNack({
      id: sent.id,
      error: "conflict",
      message: "changed",
      rev: 2,
      paths: ["/widgets/a"],
    });
    expect(nack.conflicts).toHaveLength(1);
    expect(nack.conflicts[0]).toMatchObject({ mutationId: retitle, ops: setTitle("a", "mine") });
    expect(nack.conflicts[0]?.error.code).toBe("conflict");
    expect(nack.conflicts[0]?.error.details).toEqual({ rev: 2, paths: ["/widgets/a"] });
    expect(engine.pending.map((p) => p.mutationId)).toEqual([retheme]);
    expect(engine.state?.preferences.theme).toBe("dark");
    expect(engine.nextToSend()).toMatchObject({ mutationId: retheme, baseRev: 2 });
  });

  it("gives an edit up after maxRebases conflict rounds", () => {
    const engine = new ReplicaEngine({ dashboardId: "team", clientId: "c1", maxRebases: 2 });
    engine.subscribeMessage();
    engine.onSubscribed(1);
    engine.onSnapshot(1, stateWith(addWidget("a")));
    const mutationId = engine.apply(setTitle("a", "mine"));
    const conflicts: SyncConflict[] = [];
    for (let rev = 2; rev <= 4; rev++) {
      const sent = engine.nextToSend()!;
      engine.onRemotePatch(remote(rev, setTitle("a", `theirs ${rev}`)));
      const effects = engine.onNack({ id: sent.id, error: "conflict", message: "lost", rev, paths: [] });
      conflicts.push(...effects.conflicts);
    }
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]?.mutationId).toBe(mutationId);
    expect(conflicts[0]?.error.message).toMatch(/gave up after 2 rebases/);
    expect(engine.pending).toHaveLength(0);
    expect(engine.state?.widgets.a?.title).toBe("theirs 4");
  });

  it("drops an edit the server calls invalid, with the server's error", () => {
    const engine = liveEngine(stateWith(addWidget("a")), 1);
    const mutationId = engine.apply(setTitle("a", "x"));
    const sent = engine.nextToSend()!;
    const effects = engine.onNack({ id: sent.id, error: "forbidden", message: "viewers cannot write" });
    expect(effects.conflicts).toHaveLength(1);
    expect(effects.conflicts[0]).toMatchObject({ mutationId });
    expect(effects.conflicts[0]?.error).toMatchObject({ code: "forbidden", message: "viewers cannot write" });
    expect(engine.state?.widgets.a?.title).toBe("a");
  });

  it("parks the head on a transient nack until releaseHold()", () => {
    const engine = liveEngine(stateWith(addWidget("a")), 1);
    engine.apply(setTitle("a", "x"));
    const sent = engine.nextToSend()!;
    expect(engine.onNack({ id: sent.id, error: "rate_limited", message: "slow down" })).toMatchObject({
      retryLater: true,
      conflicts: [],
    });
    expect(engine.nextToSend()).toBeUndefined();
    engine.releaseHold();
    expect(engine.nextToSend()).toMatchObject({ mutationId: sent.mutationId });
  });

  it("resyncs instead of rebasing when a conflict nack reports a rev it has not seen", () => {
    const engine = liveEngine(stateWith(addWidget("a")), 1);
    engine.apply(setTitle("a", "x"));
    const sent = engine.nextToSend()!;
    expect(engine.onNack({ id: sent.id, error: "conflict", message: "m", rev: 3, paths: [] }).resync).toBe(
      true,
    );
    expect(engine.pending).toHaveLength(1);
  });
});

describe("ReplicaEngine: apply validation", () => {
  it("throws the protocol's typed errors synchronously and queues nothing", () => {
    const engine = liveEngine(stateWith(addWidget("a")), 1);
    expect(() => engine.apply([{ op: "add", path: "/widgets/__proto__", value: {} }])).toThrow(
      PatchPathError,
    );
    expect(() => engine.apply(setTitle("missing", "x"))).toThrow(PatchApplyError);
    expect(() => engine.apply([{ op: "add", path: "/widgets/b", value: { id: "b" } }])).toThrow(
      AgentboardError,
    );
    expect(engine.pending).toHaveLength(0);
    expect(engine.nextToSend()).toBeUndefined();
  });

  it("refuses edits before the first snapshot", () => {
    const engine = new ReplicaEngine({ dashboardId: "team", clientId: "c1" });
    expect(() => engine.apply(setTheme("dark"))).toThrow(SyncNotReadyError);
  });

  it("copies the ops, so a caller mutating its array afterwards changes nothing", () => {
    const engine = liveEngine(stateWith(addWidget("a")), 1);
    const ops = setTitle("a", "x");
    engine.apply(ops);
    (ops[0] as { value: string }).value = "changed later";
    expect(engine.nextToSend()?.ops).toEqual(setTitle("a", "x"));
  });
});

describe("ReplicaEngine: subscribe, snapshot and catch-up", () => {
  it("subscribes without sinceRev first and with sinceRev = R afterwards; sends only once caught up", () => {
    const engine = new ReplicaEngine({ dashboardId: "team", clientId: "c1" });
    expect(engine.subscribeMessage()).not.toHaveProperty("sinceRev");
    engine.onSubscribed(2);
    engine.onSnapshot(2, stateWith(addWidget("a")));
    engine.apply(setTitle("a", "offline edit"));
    engine.onDisconnect();
    expect(engine.nextToSend()).toBeUndefined();
    expect(engine.subscribeMessage()).toMatchObject({ sinceRev: 2 });
    engine.onSubscribed(4);
    engine.onRemotePatch(remote(3, setTheme("dark")));
    expect(engine.isLive).toBe(false);
    expect(engine.nextToSend()).toBeUndefined();
    engine.onRemotePatch(remote(4, setTheme("light")));
    expect(engine.isLive).toBe(true);
    expect(engine.nextToSend()).toMatchObject({ baseRev: 4, ops: setTitle("a", "offline edit") });
  });

  it("judges offline edits against the caught-up state, not the states the catch-up passes through", () => {
    const engine = liveEngine(stateWith(addWidget("a"), addWidget("b")), 1);
    engine.onDisconnect();
    const kept = engine.apply(setTitle("a", "offline"));
    const lost = engine.apply(setTitle("b", "offline"));
    engine.subscribeMessage();
    engine.onSubscribed(4);
    expect(engine.onRemotePatch(remote(2, [{ op: "remove", path: "/widgets/a" }])).conflicts).toEqual([]);
    expect(engine.onRemotePatch(remote(3, [{ op: "remove", path: "/widgets/b" }])).conflicts).toEqual([]);
    expect(engine.state?.widgets.a).toBeUndefined();
    const caughtUp = engine.onRemotePatch(remote(4, addWidget("a", "back")));
    expect(engine.isLive).toBe(true);
    expect(caughtUp.conflicts.map((c) => c.mutationId)).toEqual([lost]);
    expect(engine.pending.map((p) => p.mutationId)).toEqual([kept]);
    expect(engine.state?.widgets.a?.title).toBe("offline");
  });

  it("replaces S with a snapshot and keeps the pending edits on top", () => {
    const engine = liveEngine(stateWith(addWidget("a")), 1);
    engine.apply(setTheme("dark"));
    engine.onDisconnect();
    engine.subscribeMessage();
    engine.onSubscribed(40);
    const effects = engine.onSnapshot(40, stateWith(addWidget("a"), addWidget("z")));
    expect(effects.changed).toBe(true);
    expect(engine.rev).toBe(40);
    expect(Object.keys(engine.state!.widgets)).toEqual(["a", "z"]);
    expect(engine.state?.preferences.theme).toBe("dark");
    expect(engine.pending).toHaveLength(1);
  });

  it("recognises its own edit in the catch-up after a lost ack, so it is neither resent nor applied twice", () => {
    const engine = liveEngine(stateWith(addWidget("a")), 1);
    const item = { widgetId: "a", x: 0, y: 0, w: 4, h: 4 };
    const mutationId = engine.apply([{ op: "add", path: "/layout/items/-", value: item }]);
    const sent = engine.nextToSend()!;
    engine.onDisconnect(); // the ack was lost with the connection
    engine.subscribeMessage();
    engine.onSubscribed(2);
    engine.onRemotePatch(remote(2, sent.ops, "c1", mutationId));
    expect(engine.pending).toHaveLength(0);
    expect(engine.nextToSend()).toBeUndefined();
    expect(engine.state?.layout.items).toEqual([item]);
  });

  it("keeps an unanswered edit that no longer applies until the server settles it", () => {
    const engine = liveEngine(stateWith(addWidget("a")), 1);
    engine.apply([{ op: "remove", path: "/widgets/a" }]);
    engine.nextToSend();
    engine.onDisconnect();
    engine.subscribeMessage();
    engine.onSubscribed(2);
    // A snapshot cannot tell whether our removal was committed: it was, by the look of it.
    const effects = engine.onSnapshot(2, defaultDashboardState());
    expect(effects.conflicts).toEqual([]);
    expect(engine.pending).toHaveLength(1);
    const resent = engine.nextToSend()!;
    engine.onAck({ id: resent.id, rev: 2 }); // replay: committed at rev 2
    expect(engine.pending).toHaveLength(0);
  });

  it("takes a snapshot when the server's document is older than its base", () => {
    const engine = liveEngine(stateWith(addWidget("a")), 9);
    engine.onDisconnect();
    engine.subscribeMessage();
    engine.onSubscribed(1);
    expect(engine.isLive).toBe(false);
    // A patch where the snapshot should have been: ask again from scratch.
    expect(engine.onRemotePatch(remote(10, setTheme("dark"))).resync).toBe(true);
    expect(engine.subscribeMessage()).not.toHaveProperty("sinceRev");
    engine.onDisconnect();
    engine.onSubscribed(1);
    engine.onSnapshot(1, stateWith(addWidget("b")));
    expect(engine.isLive).toBe(true);
    expect(engine.rev).toBe(1);
  });
});

describe("ReplicaEngine: starting from a cached copy (initial)", () => {
  const cachedEngine = (state: DashboardState, rev: number) =>
    new ReplicaEngine({ dashboardId: "team", clientId: "c1", initial: { rev, state } });

  it("is usable at once: state, rev and apply work before any frame; nothing is sent before the catch-up", () => {
    const cached = stateWith(addWidget("a"));
    const engine = cachedEngine(cached, 7);
    expect(engine.state).toBe(cached);
    expect(engine.confirmedState).toBe(cached);
    expect(engine.rev).toBe(7);
    expect(engine.isLive).toBe(false);
    const mutationId = engine.apply(setTitle("a", "offline"));
    expect(engine.state?.widgets.a?.title).toBe("offline");
    expect(engine.confirmedState?.widgets.a?.title).toBe("a");
    expect(engine.pending.map((p) => p.mutationId)).toEqual([mutationId]);
    expect(engine.nextToSend()).toBeUndefined();
    // The first subscribe asks only for what came after the cached rev.
    expect(engine.subscribeMessage()).toMatchObject({ sinceRev: 7 });
    const caughtUp = engine.onSubscribed(7);
    expect(caughtUp.changed).toBe(true);
    expect(engine.isLive).toBe(true);
    expect(engine.nextToSend()).toMatchObject({ baseRev: 7, mutationId, ops: setTitle("a", "offline") });
  });

  it("behind the server: takes the missed patches, then sends the edits on the caught-up base; an edit of a removed widget is a conflict", () => {
    const engine = cachedEngine(stateWith(addWidget("a"), addWidget("b")), 2);
    const kept = engine.apply(setTheme("dark"));
    const overwrites = engine.apply(setTitle("a", "mine"));
    const lost = engine.apply(setTitle("b", "mine"));
    engine.subscribeMessage();
    engine.onSubscribed(5);
    engine.onRemotePatch(remote(3, setTitle("a", "theirs")));
    engine.onRemotePatch(remote(4, [{ op: "remove", path: "/widgets/b" }]));
    const last = engine.onRemotePatch(remote(5, addWidget("c")));
    expect(engine.isLive).toBe(true);
    // Judged against the caught-up state: b is gone, so that edit is dropped; a's title still applies.
    expect(last.conflicts.map((c) => c.mutationId)).toEqual([lost]);
    expect(last.conflicts[0]?.error).toBeInstanceOf(PatchApplyError);
    expect(engine.pending.map((p) => p.mutationId)).toEqual([kept, overwrites]);
    expect(engine.state?.widgets.a?.title).toBe("mine");
    expect(Object.keys(engine.state!.widgets).sort()).toEqual(["a", "c"]);
    expect(engine.nextToSend()).toMatchObject({ baseRev: 5, mutationId: kept });
  });

  it("ahead of the server (its data was reset): asks for nothing but its snapshot, then rebases the edits on it", () => {
    const engine = cachedEngine(stateWith(addWidget("a"), addWidget("gone")), 50);
    const kept = engine.apply(setTitle("a", "mine"));
    const lost = engine.apply(setTitle("gone", "mine"));
    expect(engine.subscribeMessage()).toMatchObject({ sinceRev: 50 });
    engine.onSubscribed(3);
    expect(engine.isLive).toBe(false);
    expect(engine.nextToSend()).toBeUndefined();
    // A patch in the place of the promised snapshot cannot be applied to the other history: resync.
    expect(engine.onRemotePatch(remote(51, setTheme("dark"))).resync).toBe(true);
    engine.onDisconnect();
    expect(engine.subscribeMessage()).not.toHaveProperty("sinceRev");
    engine.onSubscribed(3);
    const snapshot = engine.onSnapshot(3, stateWith(addWidget("a", "server"), addWidget("z")));
    expect(engine.isLive).toBe(true);
    expect(engine.rev).toBe(3);
    expect(snapshot.conflicts.map((c) => c.mutationId)).toEqual([lost]);
    expect(engine.pending.map((p) => p.mutationId)).toEqual([kept]);
    expect(engine.confirmedState?.widgets.a?.title).toBe("server");
    expect(engine.state?.widgets.a?.title).toBe("mine");
    expect(engine.state?.widgets.gone).toBeUndefined();
    const sent = engine.nextToSend()!;
    expect(sent).toMatchObject({ baseRev: 3, mutationId: kept });
    engine.onAck({ id: sent.id, rev: 4 });
    expect(engine.rev).toBe(4);
    expect(engine.confirmedState).toEqual(engine.state);
  });

  it("ahead of the server and answered with the snapshot straight away", () => {
    const engine = cachedEngine(stateWith(addWidget("a")), 50);
    engine.apply(setTheme("dark"));
    engine.subscribeMessage();
    engine.onSubscribed(3);
    engine.onSnapshot(3, stateWith(addWidget("b")));
    expect(engine.isLive).toBe(true);
    expect(engine.rev).toBe(3);
    expect(Object.keys(engine.state!.widgets)).toEqual(["b"]);
    expect(engine.state?.preferences.theme).toBe("dark");
    expect(engine.nextToSend()).toMatchObject({ baseRev: 3, ops: setTheme("dark") });
  });
});

// ---------------------------------------------------------------------------------------------------------
// Model test: several engines against an in-memory server with the hub's semantics.

type PatchFrame = Extract<ClientMessage, { type: "patch" }>;

interface ModelClient {
  engine: ReplicaEngine;
  open: boolean;
  toServer: ClientMessage[];
  toClient: ServerMessage[];
  subscribed: boolean;
  subscribeId?: string;
  /** The server refuses this client's next patch with rate_limited. */
  throttleNext: boolean;
  applied: string[];
  conflicts: SyncConflict[];
}

interface LogEntry {
  rev: number;
  ops: JsonPatchOp[];
  paths: string[];
  origin: { clientId: string; mutationId: string };
}

/** The server side of the contract: CAS on rev, rebase of disjoint stale patches, replays, bounded log. */
class ModelServer {
  state = defaultDashboardState();
  rev = 0;
  log: LogEntry[] = [];
  readonly committed = new Map<string, number>();

  constructor(private readonly logLimit: number) {}

  receive(client: ModelClient, clients: ModelClient[], message: ClientMessage): void {
    if (message.type === "subscribe") {
      client.subscribed = true;
      const since = message.sinceRev;
      const entries =
        since === undefined || since > this.rev ? null : this.log.filter((entry) => entry.rev > since);
      const complete = entries !== null && entries.length === this.rev - since!;
      client.toClient.push({ type: "subscribed", id: message.id, dashboardId: "team", rev: this.rev });
      if (!complete) {
        client.toClient.push({ type: "snapshot", dashboardId: "team", rev: this.rev, state: this.state });
      } else {
        for (const entry of entries) client.toClient.push({ type: "patch", dashboardId: "team", ...entry });
      }
      return;
    }
    if (message.type === "patch") {
      const answer = this.patch(client, clients, message);
      if (answer) client.toClient.push(answer);
    }
  }

  /** Commits or refuses a patch; returns the answer unless the fan-out already placed it in the stream. */
  private patch(client: ModelClient, clients: ModelClient[], message: PatchFrame): ServerMessage | undefined {
    const base = { id: message.id, dashboardId: "team" };
    if (client.throttleNext) {
      client.throttleNext = false;
      return { type: "nack", ...base, error: "rate_limited", message: "slow down" };
    }
    const key = `${message.clientId}\u0000${message.mutationId}`;
    const replayed = this.committed.get(key);
    if (replayed !== undefined) return { type: "ack", ...base, rev: replayed };
    const paths = checkDashboardPatch(message.ops);
    const conflict = (why: string, overlap: string[]): ServerMessage => ({
      type: "nack",
      ...base,
      error: "conflict",
      message: why,
      rev: this.rev,
      paths: overlap,
    });
    if (message.baseRev > this.rev) return conflict("ahead", paths);
    const stale = message.baseRev < this.rev;
    if (stale) {
      const since = this.log.filter((entry) => entry.rev > message.baseRev);
      const changed = since.length === this.rev - message.baseRev ? since.flatMap((e) => e.paths) : [""];
      const overlap = overlappingPaths(changed, paths);
      if (overlap.length > 0) return conflict("overlap", overlap);
    }
    let next: DashboardState;
    try {
      next = applyDashboardPatch(this.state, message.ops).state;
    } catch (error) {
      if (stale && error instanceof PatchApplyError) return conflict(error.message, paths);
      const code = AgentboardError.isInstance(error) ? error.code : "internal";
      return { type: "nack", ...base, error: code, message: String(error) };
    }
    this.state = next;
    this.rev += 1;
    const origin = { clientId: message.clientId, mutationId: message.mutationId };
    this.log.push({ rev: this.rev, ops: message.ops, paths, origin });
    if (this.log.length > this.logLimit) this.log.shift();
    this.committed.set(key, this.rev);
    // Fan-out in commit order; the writer gets its ack where the echo would have been.
    for (const other of clients) {
      if (!other.open || !other.subscribed) continue;
      other.toClient.push(
        other === client
          ? { type: "ack", ...base, rev: this.rev }
          : { type: "patch", dashboardId: "team", rev: this.rev, ops: message.ops, origin },
      );
    }
    return undefined;
  }
}

type Edit =
  | { kind: "upsert"; widget: number; text: string }
  | { kind: "title"; widget: number; text: string }
  | { kind: "markdown"; widget: number; text: string }
  | { kind: "remove"; widget: number }
  | { kind: "place"; widget: number }
  | { kind: "theme"; theme: "light" | "dark" | "system" };

/** Ops for an edit, shaped by what this replica currently sees (as a UI would build them). */
function opsFor(edit: Edit, view: DashboardState): JsonPatchOp[] {
  if (edit.kind === "theme") return setTheme(edit.theme);
  const id = `w${edit.widget}`;
  switch (edit.kind) {
    case "upsert":
      return [{ op: "add", path: `/widgets/${id}`, value: note(id, edit.text, edit.text) }];
    case "title":
      return setTitle(id, edit.text);
    case "markdown":
      return [{ op: "replace", path: `/widgets/${id}/props/markdown`, value: edit.text }];
    case "place":
      return [{ op: "add", path: "/layout/items/-", value: { widgetId: id, x: 0, y: 0, w: 4, h: 2 } }];
    case "remove": {
      const index = view.layout.items.findIndex((item) => item.widgetId === id);
      const ops: JsonPatchOp[] = [{ op: "remove", path: `/widgets/${id}` }];
      if (index >= 0) ops.push({ op: "remove", path: `/layout/items/${index}` });
      return ops;
    }
  }
}

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    kind: fc.constant("upsert" as const),
    widget: fc.integer({ min: 0, max: 2 }),
    text: fc.string({ maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constant("title" as const),
    widget: fc.integer({ min: 0, max: 2 }),
    text: fc.string({ maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constant("markdown" as const),
    widget: fc.integer({ min: 0, max: 2 }),
    text: fc.string({ maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant("remove" as const), widget: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ kind: fc.constant("place" as const), widget: fc.integer({ min: 0, max: 2 }) }),
  fc.record({
    kind: fc.constant("theme" as const),
    theme: fc.constantFrom("light" as const, "dark" as const, "system" as const),
  }),
);

type Step =
  | { kind: "apply"; client: number; edit: Edit }
  | { kind: "toServer" | "toClient" | "reconnect" | "throttle"; client: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant("apply" as const), client: fc.nat(), edit: editArb }),
  },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("toServer" as const), client: fc.nat() }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("toClient" as const), client: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reconnect" as const), client: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("throttle" as const), client: fc.nat() }) },
);

function runModel(clientCount: number, steps: Step[], logLimit: number) {
  const server = new ModelServer(logLimit);
  const clients: ModelClient[] = Array.from({ length: clientCount }, (_, i) => ({
    engine: new ReplicaEngine({ dashboardId: "team", clientId: `c${i}`, maxRebases: 1_000 }),
    open: false,
    toServer: [],
    toClient: [],
    subscribed: false,
    throttleNext: false,
    applied: [],
    conflicts: [],
  }));

  const pump = (client: ModelClient) => {
    if (!client.open) return;
    const frame = client.engine.nextToSend();
    if (frame) client.toServer.push(frame);
  };
  const connect = (client: ModelClient) => {
    client.open = true;
    client.subscribed = false;
    const subscribe = client.engine.subscribeMessage();
    client.subscribeId = subscribe.id;
    client.toServer.push(subscribe);
  };
  // Frames on the wire are lost with the connection: patches that never arrived, acks that never came back.
  const disconnect = (client: ModelClient) => {
    client.open = false;
    client.subscribed = false;
    client.toServer = [];
    client.toClient = [];
    client.engine.onDisconnect();
  };
  const handle = (client: ModelClient, effects: EngineEffects) => {
    client.conflicts.push(...effects.conflicts);
    if (effects.retryLater) client.engine.releaseHold();
    if (effects.resync) {
      disconnect(client);
      connect(client);
    }
    pump(client);
  };
  const deliverToClient = (client: ModelClient) => {
    const frame = client.toClient.shift();
    if (!frame) return;
    const { engine } = client;
    switch (frame.type) {
      case "subscribed":
        if (frame.id === client.subscribeId) handle(client, engine.onSubscribed(frame.rev));
        return;
      case "snapshot":
        return handle(client, engine.onSnapshot(frame.rev, frame.state));
      case "patch":
        return handle(client, engine.onRemotePatch(frame));
      case "ack":
        return handle(client, engine.onAck(frame));
      case "nack":
        return handle(client, engine.onNack(frame));
      default:
        throw new Error(`unexpected frame ${frame.type}`);
    }
  };
  const deliverToServer = (client: ModelClient) => {
    const frame = client.toServer.shift();
    if (frame) server.receive(client, clients, frame);
  };

  for (const client of clients) connect(client);
  for (const step of steps) {
    const client = clients[step.client % clients.length]!;
    switch (step.kind) {
      case "apply": {
        const view = client.engine.state;
        if (!view) break;
        try {
          client.applied.push(client.engine.apply(opsFor(step.edit, view)));
        } catch (error) {
          // Edits that do not apply to what the replica sees are refused up front, with a typed error.
          expect(AgentboardError.isInstance(error)).toBe(true);
        }
        pump(client);
        break;
      }
      case "toServer":
        deliverToServer(client);
        break;
      case "toClient":
        deliverToClient(client);
        break;
      case "reconnect":
        disconnect(client);
        connect(client);
        break;
      case "throttle":
        client.throttleNext = true;
        break;
    }
  }

  // Quiescence: everything still on the wire is delivered, and whatever that causes, until nothing moves.
  for (let round = 0; ; round++) {
    if (round > 10_000) throw new Error("the model did not quiesce");
    const busy = clients.filter((c) => c.toServer.length > 0 || c.toClient.length > 0);
    if (busy.length === 0) break;
    for (const client of busy) {
      deliverToServer(client);
      deliverToClient(client);
    }
  }
  return { server, clients };
}

describe("ReplicaEngine model: replicas converge on the server's state", () => {
  it("2–6 replicas with random interleavings, reconnects and transient nacks converge; no edit is lost silently", () => {
    const totals = { commits: 0, conflicts: 0 };
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 6 }),
        fc.array(stepArb, { minLength: 20, maxLength: 160, size: "max" }),
        fc.integer({ min: 1, max: 6 }),
        (clientCount, steps, logLimit) => {
          const { server, clients } = runModel(clientCount, steps, logLimit);
          totals.commits += server.rev;
          totals.conflicts += clients.reduce((n, c) => n + c.conflicts.length, 0);
          for (const client of clients) {
            expect(client.engine.pending).toEqual([]);
            expect(client.engine.rev).toBe(server.rev);
            expect(client.engine.state).toEqual(server.state);
            expect(client.engine.confirmedState).toEqual(server.state);
            // Every local edit was either committed exactly once or reported as a conflict, never both.
            const conflicted = new Set(client.conflicts.map((c) => c.mutationId));
            expect(conflicted.size).toBe(client.conflicts.length);
            for (const mutationId of client.applied) {
              const committed = server.committed.has(`${client.engine.clientId}\u0000${mutationId}`);
              expect(committed !== conflicted.has(mutationId), `${mutationId} committed=${committed}`).toBe(
                true,
              );
            }
          }
        },
      ),
      { numRuns: 300 },
    );
    // The property is only worth something if the runs commit edits and hit conflicts.
    expect(totals.commits).toBeGreaterThan(1_000);
    expect(totals.conflicts).toBeGreaterThan(20);
  });
});
