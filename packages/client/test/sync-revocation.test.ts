/**
 * The SDK's side of revocation (issue 13, part 2): a socket closed with 4401 ("sign in again") gets one
 * attempt with a fresh ticket. A revoked credential fails that attempt with 401: the replica stops and
 * reports `unauthorized` instead of looping. A role change (the credential still works) reconnects once and
 * carries on with the new role.
 */
import type { AgentboardError } from "@agentboard/protocol";
import { type Caller, callersEachTest, closedAfterEach } from "@agentboard/test-support";
import { describe, expect, it } from "vitest";
import { WebSocket as NodeWebSocket } from "ws";
import {
  createBoardClient,
  type SyncClient,
  type SyncConflict,
  type WebSocketConstructor,
} from "../src/index.js";

const t = callersEachTest({
  owner: { name: "olivia", role: "owner" },
  bob: { name: "bob", role: "member" },
});
const opened = closedAfterEach<SyncClient>();

/** Counts connection attempts: sockets constructed, and ticket requests. */
function counting() {
  const counts = { sockets: 0, tickets: 0 };
  class CountingWebSocket extends NodeWebSocket {
    constructor(url: string | URL, protocols?: string | string[]) {
      super(url, protocols);
      counts.sockets++;
    }
  }
  const countingFetch: typeof fetch = (input, init) => {
    if (String(input instanceof Request ? input.url : input).endsWith("/api/realtime/ticket"))
      counts.tickets++;
    return fetch(input, init);
  };
  return { counts, WebSocket: CountingWebSocket as unknown as WebSocketConstructor, fetch: countingFetch };
}

function boardOf(caller: Caller, wire: ReturnType<typeof counting>) {
  return createBoardClient({
    url: t.server.url,
    token: caller.token,
    fetch: wire.fetch,
    WebSocket: wire.WebSocket,
    minReconnectDelayMs: 10,
    maxReconnectDelayMs: 50,
  });
}

function replicaOf(caller: Caller, wire: ReturnType<typeof counting>): SyncClient {
  const sync = boardOf(caller, wire).sync("team");
  opened.push(sync);
  return sync;
}

/** The first event of `name` from the replica (waits are bounded by the test's timeout). */
function nextEvent<T>(sync: SyncClient, name: "error" | "conflict"): Promise<T> {
  return new Promise((resolve) => {
    const off = sync.on(name, (value: unknown) => {
      off();
      resolve(value as T);
    });
  });
}

async function bobsTokenId(): Promise<string> {
  const listed = await t.bob.request("GET", "/api/tokens");
  return listed.body.items.find((item: { tokenKind: string }) => item.tokenKind === "api").id as string;
}

describe("a replica whose socket is closed with 4401", () => {
  it("stops and reports unauthorized when its token was revoked, after one ticket attempt, without looping", async () => {
    const wire = counting();
    const sync = replicaOf(t.bob, wire);
    await sync.ready();
    expect(wire.counts).toEqual({ sockets: 1, tickets: 1 });
    const failed = nextEvent<AgentboardError>(sync, "error");

    expect((await t.owner.request("DELETE", `/api/tokens/${await bobsTokenId()}`)).status).toBe(204);

    expect(await failed).toMatchObject({ code: "unauthorized" });
    expect(sync.status).toBe("offline");
    expect(() => sync.apply([{ op: "add", path: "/preferences/theme", value: "dark" }])).toThrow(
      expect.objectContaining({ code: "unauthorized" }),
    );
    // The one fresh-ticket attempt was refused (401) before any socket was made; nothing else was tried.
    expect(wire.counts).toEqual({ sockets: 1, tickets: 2 });
    await sync.close();
    expect(wire.counts).toEqual({ sockets: 1, tickets: 2 });
  });

  it("reconnects once with the new role after a role change, and the new role applies", async () => {
    const wire = counting();
    const sync = replicaOf(t.bob, wire);
    await sync.ready();
    const statuses: string[] = [];
    const back = new Promise<void>((resolve) =>
      sync.on("status", (status) => {
        statuses.push(status);
        if (status === "connected") resolve();
      }),
    );
    const errors: Error[] = [];
    sync.on("error", (error) => errors.push(error));

    const changed = await t.owner.request("PATCH", `/api/members/${t.bob.principal.id}`, { role: "viewer" });
    expect(changed.status).toBe(200);
    await back;
    expect(statuses).toEqual(["reconnecting", "connected"]);
    expect(wire.counts).toEqual({ sockets: 2, tickets: 2 });
    expect(errors).toEqual([]);

    // A viewer's edit is refused by the server and dropped with a conflict naming why.
    const dropped = nextEvent<SyncConflict>(sync, "conflict");
    sync.apply([{ op: "add", path: "/preferences/theme", value: "dark" }]);
    expect((await dropped).error).toMatchObject({ code: "forbidden" });
    expect(sync.status).toBe("connected");
  });
});

describe("a board client whose shared socket is closed with 4401", () => {
  it("stops its replica and its approval feed together, after one ticket attempt for both", async () => {
    const wire = counting();
    const board = boardOf(t.bob, wire);
    const sync = board.sync("team");
    opened.push(sync);
    const feed = board.approvals.feed();
    const feedLive = new Promise<void>((resolve) => feed.on("live", resolve));
    await Promise.all([sync.ready(), feedLive]);
    expect(wire.counts).toEqual({ sockets: 1, tickets: 1 });
    const replicaFailed = nextEvent<AgentboardError>(sync, "error");
    const feedFailed = new Promise<Error>((resolve) => feed.on("error", resolve));

    expect((await t.owner.request("DELETE", `/api/tokens/${await bobsTokenId()}`)).status).toBe(204);

    expect(await replicaFailed).toMatchObject({ code: "unauthorized" });
    expect(await feedFailed).toMatchObject({ code: "unauthorized" });
    expect([sync.status, feed.status]).toEqual(["offline", "offline"]);
    expect(wire.counts).toEqual({ sockets: 1, tickets: 2 });
    await board.close();
    expect(wire.counts).toEqual({ sockets: 1, tickets: 2 });
  });
});
