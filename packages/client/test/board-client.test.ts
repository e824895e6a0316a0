import { startEachTest, type TestServer } from "@agentboard/test-support";
import { describe, expect, it } from "vitest";
import { ApiRequestError, ConnectionError, createBoardClient } from "../src/index.js";

let server: TestServer;
startEachTest((started) => {
  server = started;
});

describe("createBoardClient against a real server", () => {
  it("reads, upserts, patches and removes widgets with server-assigned revs", async () => {
    const user = await server.caller({ name: "alice" });
    const agent = await server.caller({ kind: "agent", name: "planner" });
    const board = createBoardClient({ url: server.url, token: agent.token });
    const id = `user:${user.principal.id}`;

    expect((await board.dashboards.get(id)).rev).toBe(0);
    const upserted = await board.dashboards.upsertWidget(id, "kpi", {
      type: "metrics",
      title: "KPIs",
      props: { items: [{ label: "Signups", value: 10 }] },
    });
    expect(upserted.rev).toBe(1);
    expect(upserted.widget.updatedBy).toBe(`agent:${agent.principal.id}`);

    const patched = await board.dashboards.patch(
      id,
      1,
      [{ op: "replace", path: "/widgets/kpi/title", value: "KPIs!" }],
      {
        clientId: "c1",
        mutationId: "m1",
      },
    );
    expect(patched.rev).toBe(2);
    expect((await board.dashboards.get(id)).state.widgets.kpi?.title).toBe("KPIs!");
    expect((await board.dashboards.removeWidget(id, "kpi")).rev).toBe(3);
  });

  it("rebuilds contract errors as ApiRequestError with code, status and details", async () => {
    const user = await server.caller({ name: "bob" });
    const board = createBoardClient({ url: server.url, token: user.token });
    await board.dashboards.patch("me", 0, [{ op: "add", path: "/preferences/theme", value: "dark" }]);
    const stale = await board.dashboards
      .patch("me", 0, [{ op: "add", path: "/preferences/theme", value: "light" }])
      .catch((error: unknown) => error);
    expect(stale).toBeInstanceOf(ApiRequestError);
    expect(stale).toMatchObject({
      code: "conflict",
      httpStatus: 409,
      details: { rev: 1, paths: ["/preferences/theme"] },
    });

    const bad = createBoardClient({ url: server.url, token: "ab_wrong" });
    await expect(bad.dashboards.get("me")).rejects.toMatchObject({ code: "unauthorized", httpStatus: 401 });
  });

  it("reports an unreachable server as ConnectionError and honours an abort signal", async () => {
    const board = createBoardClient({ url: "http://127.0.0.1:9", token: "ab_x", timeoutMs: 2_000 });
    await expect(board.dashboards.get("me")).rejects.toBeInstanceOf(ConnectionError);
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    const live = createBoardClient({ url: server.url, token: "ab_x" });
    await expect(live.dashboards.get("me", { signal: controller.signal })).rejects.toThrow("stop");
  });
});

describe("the workspace directory through the SDK", () => {
  it("lists members and the dashboards an agent can draw on, with ids the other methods take", async () => {
    const owner = await server.caller({ name: "admin", role: "owner" });
    const agent = await server.caller({ kind: "agent", name: "planner" });
    const board = createBoardClient({ url: server.url, token: agent.token });

    const members = await board.members.list();
    expect(members).toEqual([
      { id: owner.principal.id, kind: "user", name: "admin", displayName: "admin", role: "owner" },
      { id: agent.principal.id, kind: "agent", name: "planner", displayName: "planner" },
    ]);

    const ownerBoard = members.find((m) => m.kind === "user" && m.role === "owner")!;
    await board.dashboards.upsertWidget("ops", "n", { type: "note", title: "N", props: { markdown: "x" } });
    const dashboards = await board.dashboards.list();
    expect(dashboards).toEqual([
      { id: `user:${ownerBoard.id}`, title: "admin", kind: "personal", rev: 0, updatedAt: null },
      { id: "ops", title: "ops", kind: "shared", rev: 1, updatedAt: expect.any(String) },
    ]);
    const { rev } = await board.dashboards.upsertWidget(dashboards[0]!.id, "hello", {
      type: "note",
      title: "Hello",
      props: { markdown: "from the agent" },
    });
    expect(rev).toBe(1);
    expect((await board.dashboards.list())[0]).toMatchObject({ rev: 1, updatedAt: expect.any(String) });

    const viewer = await server.caller({ name: "vera", role: "viewer" });
    const viewerBoard = createBoardClient({ url: server.url, token: viewer.token });
    expect((await viewerBoard.dashboards.list()).map((d) => d.id)).toEqual([
      `user:${viewer.principal.id}`,
      "ops",
    ]);
    expect(await viewerBoard.members.list()).toHaveLength(3);
  });
});
