/**
 * One realtime connection per board client (issue 14): live replicas, approval waits and approval feeds of a
 * board client share one socket; a second replica of a dashboard the client already follows gets a socket of
 * its own, because the server keeps one subscription per document and socket.
 */
import type { ApprovalEvent } from "@agentboard/protocol";
import { type Caller, callersEachTest, closedAfterEach } from "@agentboard/test-support";
import { describe, expect, it } from "vitest";
import {
  type ApprovalFeed,
  type ApprovalFeedStatus,
  type BoardClient,
  createBoardClient,
  type SyncClient,
} from "../src/index.js";
import { note } from "./notes.js";

const t = callersEachTest({
  human: { name: "alice" },
  agent: { kind: "agent", name: "deployer" },
});
const boards = closedAfterEach<BoardClient>();

function boardOf(caller: Caller): BoardClient {
  const board = createBoardClient({
    url: t.server.url,
    token: caller.token,
    minReconnectDelayMs: 20,
    maxReconnectDelayMs: 200,
  });
  boards.push(board);
  return board;
}

/** Waits (event-driven through `subscribe`, with a deadline) until `check()` holds. */
function until(what: string, check: () => boolean, subscribe: (wake: () => void) => () => void) {
  if (check()) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}`));
    }, 10_000);
    const off = subscribe(() => {
      if (!check()) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

/** Server-side counts settle a moment after the client's events: polls them with a deadline. */
async function serverConnections(n: number) {
  const hub = t.server.app.realtimeHub;
  for (let i = 0; i < 200 && hub.connectionCount !== n; i++) await new Promise((r) => setTimeout(r, 10));
  expect(hub.connectionCount).toBe(n);
}

const changes = (sync: SyncClient) => (wake: () => void) => sync.on("change", wake);
const titleOf = (sync: SyncClient, widgetId: string) => sync.state?.widgets[widgetId]?.title;
const addNote = (id: string, title: string) => ({
  op: "add" as const,
  path: `/widgets/${id}`,
  value: note(id, title),
});

describe("one realtime connection per board client", () => {
  it("carries replicas of several dashboards and an approval wait; a second replica of one dashboard gets its own socket and both see each other's writes", async () => {
    const board = boardOf(t.agent);
    const team = board.sync("team");
    const ops = board.sync("ops");
    await Promise.all([team.ready(), ops.ready()]);
    const handle = await board.approvals.request({ type: "deploy", title: "Deploy", confidence: 10 });
    const waiting = handle.wait({ timeoutMs: 20_000 });
    await serverConnections(1);

    // Each replica gets its own frames over the shared socket: others' writes, and acks of its own.
    await boardOf(t.human).dashboards.upsertWidget("team", "a", {
      type: "note",
      title: "A",
      props: { markdown: "" },
    });
    await until("team to see the REST write", () => titleOf(team, "a") === "A", changes(team));
    ops.apply([addNote("o", "O")]);
    team.apply([{ op: "replace", path: "/widgets/a/title", value: "A2" }]);
    await Promise.all([ops.flushed(), team.flushed()]);
    expect((await board.dashboards.get("ops")).state.widgets.o?.title).toBe("O");
    expect((await board.dashboards.get("team")).state.widgets.a?.title).toBe("A2");

    // The wait is event-driven on the same socket: no long-poll is held, and the decision arrives.
    expect(t.server.runtime.approvals.waiters.size).toBe(0);
    await boardOf(t.human).approvals.approve(handle.id, "go");
    await expect(waiting).resolves.toMatchObject({ status: "approved" });

    const again = board.sync("team");
    await again.ready();
    await serverConnections(2);
    again.apply([{ op: "replace", path: "/widgets/a/title", value: "from again" }]);
    await until("team to see its sibling's write", () => titleOf(team, "a") === "from again", changes(team));
    team.apply([{ op: "replace", path: "/widgets/a/title", value: "from team" }]);
    await until("the sibling to see team's write", () => titleOf(again, "a") === "from team", changes(again));
    expect([team.status, ops.status, again.status]).toEqual(["connected", "connected", "connected"]);

    await Promise.all([team.close(), ops.close(), again.close()]);
    await serverConnections(0);
  });

  it("refuses connection options on sync(): they belong to createBoardClient", () => {
    const board = boardOf(t.agent);
    expect(() => board.sync("team", { minReconnectDelayMs: 1 } as never)).toThrow(
      expect.objectContaining({ code: "invalid", message: expect.stringContaining("createBoardClient") }),
    );
  });
});

describe("board.approvals.feed()", () => {
  it("delivers typed events, goes live again after every reconnect, shares the socket with replicas, and gives it back on close", async () => {
    const board = boardOf(t.human);
    const feed: ApprovalFeed = board.approvals.feed();
    const statuses: ApprovalFeedStatus[] = [];
    const events: ApprovalEvent[] = [];
    let lives = 0;
    feed.on("status", (status) => statuses.push(status));
    feed.on("approval", (event) => events.push(event));
    feed.on("live", () => lives++);
    const wake = (w: () => void) => {
      const offs = [feed.on("status", w), feed.on("approval", w), feed.on("live", w)];
      return () => {
        for (const off of offs) off();
      };
    };
    await until("the feed to go live", () => lives === 1, wake);
    expect(feed.status).toBe("live");

    const handle = await boardOf(t.agent).approvals.request({
      type: "deploy",
      title: "Deploy",
      confidence: 10,
    });
    await until("the created event", () => events.length === 1, wake);
    const decided = await board.approvals.approve(handle.id);
    await until("the decided event", () => events.length === 2, wake);
    expect(events).toEqual([
      { event: "created", approval: expect.objectContaining({ id: handle.id, status: "pending" }) },
      { event: "decided", approval: decided },
    ]);

    // A replica of the same board client rides on the feed's socket; its reconnect() is the feed's too.
    const sync = board.sync("me");
    await sync.ready();
    await serverConnections(1);
    sync.reconnect();
    await until("the feed to go live again", () => lives === 2, wake);
    expect(statuses).toEqual(["live", "reconnecting", "live"]);

    // Unsubscribing one listener leaves the others.
    const seen: ApprovalEvent[] = [];
    const off = feed.on("approval", (event) => seen.push(event));
    off();
    await boardOf(t.agent).approvals.request({ type: "deploy", title: "Again", confidence: 10 });
    await until("the third event", () => events.length === 3, wake);
    expect(seen).toEqual([]);

    await feed.close();
    expect(feed.status).toBe("offline");
    expect(sync.status).toBe("connected");
    await serverConnections(1);
    await sync.close();
    await serverConnections(0);
  });

  it("a feed opened while a wait holds the subscription says live at once", async () => {
    const board = boardOf(t.agent);
    const handle = await board.approvals.request({ type: "deploy", title: "Deploy", confidence: 10 });
    const waiting = handle.wait({ timeoutMs: 20_000 }).catch((error: unknown) => error);
    await serverConnections(1);
    // The wait subscribed already; a new feed is live without a subscription of its own.
    const feed = board.approvals.feed();
    let lives = 0;
    feed.on("live", () => lives++);
    await until(
      "live",
      () => lives === 1,
      (w) => feed.on("live", w),
    );
    expect(feed.status).toBe("live");
    await serverConnections(1);
    await boardOf(t.human).approvals.reject(handle.id, "no");
    expect(await waiting).toMatchObject({ name: "ApprovalRejectedError" });
    await feed.close();
  });
});
