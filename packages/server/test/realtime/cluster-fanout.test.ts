import { type DashboardState, defaultDashboardState, type JsonPatchOp } from "@agentboard/protocol";
import {
  type Caller,
  type ClusterNode,
  closedAfterEach,
  clusterEachTest,
  noteWidget,
  openSocket,
  WsClient,
} from "@agentboard/test-support";
import { describe, expect, it } from "vitest";
import { DashboardService } from "../../src/dashboards/dashboard-service.js";
import type { DashboardKey } from "../../src/dashboards/dashboard-store.js";
import { RedisDashboardStore } from "../../src/dashboards/redis-dashboard-store.js";
import { InProcessEventBus } from "../../src/events/event-bus.js";

const t = clusterEachTest({
  alice: { name: "alice" },
});
const sockets = closedAfterEach<WsClient>();

const node = (i: number): ClusterNode => t.cluster.nodes[i]!;

/** A socket on `onNode`, authenticated by a ticket issued by `ticketFrom` (tickets live in Redis). */
async function socket(caller: Caller, onNode: number, ticketFrom = onNode): Promise<WsClient> {
  const { status, body } = await t.cluster.on(caller, ticketFrom).request("POST", "/api/realtime/ticket");
  expect(status).toBe(200);
  const ws = new WsClient(
    await openSocket(`${node(onNode).url.replace("http", "ws")}/api/realtime?ticket=${body.ticket}`),
  );
  sockets.push(ws);
  return ws;
}

async function subscribe(ws: WsClient, dashboardId: string, sinceRev?: number) {
  const id = ws.send({ type: "subscribe", dashboardId, ...(sinceRev === undefined ? {} : { sinceRev }) });
  const subscribed = await ws.next("subscribed", (f) => f.id === id);
  return subscribed.rev;
}

/** A socket of alice's on each node, subscribed to her dashboard, past its snapshot. */
async function watchersOnBothNodes(): Promise<WsClient[]> {
  const watchers = [await socket(t.alice, 0), await socket(t.alice, 1)];
  for (const w of watchers) {
    await subscribe(w, "me");
    await w.next("snapshot");
  }
  return watchers;
}

const titleOp = (widgetId: string, title: string) => ({
  op: "replace" as const,
  path: `/widgets/${widgetId}/title`,
  value: title,
});

/** Commits through a service of its own, on a bus of its own: no node hears of it (a lost event). */
async function silentPatch(key: DashboardKey, baseRev: number, ops: JsonPatchOp[]) {
  const store = new RedisDashboardStore({
    redis: node(0).runtime.redis,
    prefix: t.cluster.prefix,
    stateTtlDays: 1,
  });
  const bus = new InProcessEventBus(() => {});
  const service = new DashboardService({ store, patchLogLimit: 1000, bus });
  return service.patch(key, { baseRev, ops }, "user:test");
}

/** Every `patch` frame the socket has received so far, as revs. */
const patchRevs = (ws: WsClient) => ws.frames.flatMap((f) => (f.type === "patch" ? [f.rev] : []));

async function seedWidgets(count: number, caller = t.alice) {
  for (let i = 0; i < count; i++) {
    const result = await caller.request("PUT", `/api/dashboards/me/widgets/w${i}`, noteWidget(`w${i}`));
    expect(result.status).toBe(200);
  }
  return count;
}

describe("cluster fan-out", () => {
  it("delivers writes made on node 1 to a subscriber on node 2, strictly in rev order", async () => {
    await seedWidgets(2);
    // The ticket comes from node 0, the socket goes to node 1: tickets are shared through Redis.
    const b = await socket(t.alice, 1, 0);
    expect(await subscribe(b, "me")).toBe(2);
    await b.next("snapshot");
    for (let i = 0; i < 30; i++) {
      const result = await t.alice.request("PATCH", "/api/dashboards/me/state", {
        baseRev: 2 + i,
        ops: [titleOp("w0", `x${i}`)],
      });
      expect(result.body).toEqual({ rev: 3 + i });
    }
    const revs: number[] = [];
    for (let i = 0; i < 30; i++) revs.push((await b.next("patch")).rev);
    expect(revs).toEqual(Array.from({ length: 30 }, (_, i) => 3 + i));
  });

  it("keeps every subscriber on both nodes in rev order while both nodes write", async () => {
    await seedWidgets(2);
    const watchers = await watchersOnBothNodes();
    const onNode = [t.cluster.on(t.alice, 0), t.cluster.on(t.alice, 1)];
    // Writes alternate between the nodes, each on the rev the previous answer gave.
    let rev = 2;
    for (let i = 0; i < 40; i++) {
      const result = await onNode[i % 2]!.request("PATCH", "/api/dashboards/me/state", {
        baseRev: rev,
        ops: [titleOp(`w${i % 2}`, `t${i}`)],
      });
      expect(result.status).toBe(200);
      rev = result.body.rev;
    }
    for (const w of watchers) {
      const revs: number[] = [];
      for (let i = 0; i < 40; i++) revs.push((await w.next("patch")).rev);
      expect(revs).toEqual(Array.from({ length: 40 }, (_, i) => 3 + i));
    }
  });

  it("takes 200 concurrent patches split across both nodes: no gaps, nothing lost, conflicts only on overlaps", async () => {
    // 90 widgets → 180 distinct paths (title and markdown of each). Patches 0–179 write one path each;
    // patches 180–199 write the same paths as patches 0–19 again. All are computed against the same base,
    // so exactly one of each overlapping pair must be refused, and nothing else.
    const state = defaultDashboardState();
    for (let w = 0; w < 90; w++) {
      state.widgets[`w${w}`] = {
        id: `w${w}`,
        type: "note",
        title: `w${w}`,
        props: { markdown: "" },
        status: "ready",
        updatedAt: new Date().toISOString(),
        updatedBy: `user:${t.alice.principal.id}`,
      } as DashboardState["widgets"][string];
      state.layout.items.push({ widgetId: `w${w}`, x: 0, y: w * 4, w: 4, h: 4 });
    }
    expect((await t.alice.request("PUT", "/api/dashboards/me/state", { baseRev: 0, state })).body).toEqual({
      rev: 1,
    });
    const watchers = await watchersOnBothNodes();
    const pathOf = (n: number) => {
      const slot = n % 180;
      const widget = `w${slot % 90}`;
      return slot < 90 ? `/widgets/${widget}/title` : `/widgets/${widget}/props/markdown`;
    };
    const onNode = [t.cluster.on(t.alice, 0), t.cluster.on(t.alice, 1)];
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, n) =>
        onNode[n % 2]!.request("PATCH", "/api/dashboards/me/state", {
          baseRev: 1,
          ops: [{ op: "replace", path: pathOf(n), value: `p${n}` }],
          clientId: `writer-${n}`,
          mutationId: "m1",
        }),
      ),
    );
    const accepted = results.flatMap((r, n) => (r.status === 200 ? [{ n, rev: r.body.rev as number }] : []));
    const refused = results.flatMap((r, n) => (r.status === 200 ? [] : [{ n, ...r }]));
    // Only conflicts, each on its own (overlapping) path, at most one per pair.
    for (const r of refused) {
      expect(r.status, JSON.stringify(r.body)).toBe(409);
      expect(r.body.details.paths).toEqual([pathOf(r.n)]);
    }
    const refusedPaths = refused.map((r) => pathOf(r.n));
    expect(new Set(refusedPaths).size).toBe(refused.length);
    expect(refused.every((r) => r.n < 20 || r.n >= 180)).toBe(true);
    expect(accepted.length).toBe(180);
    // Revs without gaps.
    expect(accepted.map((a) => a.rev).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 180 }, (_, i) => 2 + i),
    );
    // Nothing lost: the document holds every accepted write.
    const document = (await t.alice.request("GET", "/api/dashboards/me/state")).body;
    expect(document.rev).toBe(181);
    for (const { n } of accepted) {
      const [, , widget, field] = pathOf(n).split("/");
      const value =
        field === "title"
          ? document.state.widgets[widget!].title
          : document.state.widgets[widget!].props.markdown;
      expect(value).toBe(`p${n}`);
    }
    // Every subscriber, on either node, saw all 180 revs in order.
    for (const w of watchers) {
      for (let i = 0; i < 180; i++) await w.next("patch", (f) => f.rev === 2 + i);
      expect(patchRevs(w)).toEqual(Array.from({ length: 180 }, (_, i) => 2 + i));
    }
  });

  it("acks a writer whose own commit arrives after a gap, instead of echoing it", async () => {
    await seedWidgets(2);
    const writer = await socket(t.alice, 1);
    await subscribe(writer, "me");
    await writer.next("snapshot");
    // A commit nobody hears about (as when its event was lost): rev 3, straight to Redis.
    const key = { workspaceId: t.alice.principal.workspaceId, dashboardId: `user:${t.alice.principal.id}` };
    await silentPatch(key, 2, [titleOp("w0", "silent")]);
    const id = writer.send({
      type: "patch",
      dashboardId: "me",
      baseRev: 2,
      ops: [titleOp("w1", "mine")],
      clientId: "W",
      mutationId: "m1",
    });
    // Node 1 commits rev 4 and hears its own event before rev 3: it fills rev 3 from the log, then acks rev 4.
    expect(await writer.answer(id)).toMatchObject({ type: "ack", rev: 4 });
    expect(patchRevs(writer)).toEqual([3]);
    writer.send({ type: "ping" });
    await writer.next("pong");
    expect(writer.frames.filter((f) => f.type === "patch")).toHaveLength(1);
  });

  it("brings subscribers on every node up to date after a resync, with no other write to reveal the gap", async () => {
    await seedWidgets(1);
    const watchers = await watchersOnBothNodes();
    const key = { workspaceId: t.alice.principal.workspaceId, dashboardId: `user:${t.alice.principal.id}` };
    await silentPatch(key, 1, [titleOp("w0", "lost")]);
    // What a node does when a commit's outcome was unknown, or its subscription to the bus was restored.
    node(0).runtime.bus.requestResync();
    for (const w of watchers) {
      const patch = await w.next("patch");
      // The writer's op, then the server's attribution stamps of the changed widget.
      expect(patch.rev).toBe(2);
      expect(patch.ops[0]).toEqual(titleOp("w0", "lost"));
    }
  });

  it("accepts a realtime ticket once across the cluster", async () => {
    const { body } = await t.cluster.on(t.alice, 0).request("POST", "/api/realtime/ticket");
    const url = (i: number) => `${node(i).url.replace("http", "ws")}/api/realtime?ticket=${body.ticket}`;
    const first = new WsClient(await openSocket(url(1)));
    sockets.push(first);
    await expect(openSocket(url(0))).rejects.toMatchObject({ status: 401 });
    await expect(openSocket(url(1))).rejects.toMatchObject({ status: 401 });
  });
});
