import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../../server/test/helpers/test-server.js";
import { ApiRequestError, ConnectionError, createBoardClient } from "../src/index.js";

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(async () => server.close());

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
