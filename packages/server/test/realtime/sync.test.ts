import {
  type Caller,
  closedAfterEach,
  closedAfterTest,
  connect,
  describeEachMode,
  noteWidget,
  startEachTest,
  type TestServer,
  type WsClient,
} from "@agentboard/test-support";
import { describe, expect, it } from "vitest";

describeEachMode("realtime sync", (mode) => {
  let server: TestServer;
  let alice: Caller;

  async function client(caller: Caller = alice): Promise<WsClient> {
    const c = await connect(server, caller);
    clients.push(c);
    return c;
  }

  async function subscribed(c: WsClient, dashboardId: string, sinceRev?: number) {
    const id = c.send({ type: "subscribe", dashboardId, ...(sinceRev === undefined ? {} : { sinceRev }) });
    return c.next("subscribed", (f) => f.id === id);
  }

  const titleOp = (id: string, title: string) => ({
    op: "replace" as const,
    path: `/widgets/${id}/title`,
    value: title,
  });

  startEachTest(
    async (started) => {
      server = started;
      alice = await server.caller({ name: "alice" });
      await alice.request("PUT", "/api/dashboards/me/widgets/a", noteWidget("a"));
      await alice.request("PUT", "/api/dashboards/me/widgets/b", noteWidget("b"));
    },
    () => mode.startTestServer(),
  );
  const clients = closedAfterEach<WsClient>();

  describe("realtime sync between two clients", () => {
    it("delivers A's patch to B once, in order, with the right rev; A gets the ack and no echo", async () => {
      const a = await client();
      const b = await client();
      expect((await subscribed(a, "me")).rev).toBe(2);
      await a.next("snapshot");
      await subscribed(b, "me");
      const snapshot = await b.next("snapshot");
      expect(snapshot.rev).toBe(2);
      expect(Object.keys(snapshot.state.widgets).sort()).toEqual(["a", "b"]);

      const ids = [1, 2, 3].map((n) =>
        a.send({
          type: "patch",
          dashboardId: "me",
          baseRev: 2,
          ops: [titleOp(n % 2 ? "a" : "b", `t${n}`)],
          clientId: "A",
          mutationId: `m${n}`,
        }),
      );
      // First patch wins at rev 3; the third touches `a` again from base 2 → conflict; the second rebases (b).
      const answers = await Promise.all(ids.map((id) => a.answer(id)));
      expect(answers.map((f) => f.type)).toEqual(["ack", "ack", "nack"]);
      expect(answers.slice(0, 2).map((f) => (f as { rev: number }).rev)).toEqual([3, 4]);
      expect(answers[2]).toMatchObject({ error: "conflict", rev: 4, paths: ["/widgets/a/title"] });

      const p3 = await b.next("patch");
      const p4 = await b.next("patch");
      expect([p3.rev, p4.rev]).toEqual([3, 4]);
      expect(p3.origin).toEqual({ clientId: "A", mutationId: "m1" });
      // The server stamps the changed widget (updatedAt; updatedBy is the same writer) after the writer's op,
      // and the writer's ack carries that stamp, so both replicas hold the committed state.
      expect(p4.ops).toEqual([
        titleOp("b", "t2"),
        { op: "add", path: "/widgets/b/updatedAt", value: expect.any(String) },
      ]);
      expect(answers[1]).toMatchObject({ serverOps: [p4.ops[1]] });
      // No echo to A, nothing more to B.
      a.send({ type: "ping" });
      await a.next("pong");
      expect(a.rest().filter((f) => f.type === "patch")).toEqual([]);
      b.send({ type: "ping" });
      await b.next("pong");
      expect(b.frames.filter((f) => f.type === "patch")).toHaveLength(2);
    });

    it("fans REST writes out to socket subscribers, strictly in rev order", async () => {
      const b = await client();
      await subscribed(b, "me");
      await b.next("snapshot");
      for (let i = 0; i < 30; i++)
        await alice.request("PATCH", "/api/dashboards/me/state", {
          baseRev: 2 + i,
          ops: [titleOp("a", `x${i}`)],
        });
      const revs: number[] = [];
      for (let i = 0; i < 30; i++) revs.push((await b.next("patch")).rev);
      expect(revs).toEqual(Array.from({ length: 30 }, (_, i) => 3 + i));
    });

    it("a connection that subscribes again to the same dashboard gets each later change once", async () => {
      const b = await client();
      await subscribed(b, "me");
      await b.next("snapshot");
      await alice.request("PATCH", "/api/dashboards/me/state", { baseRev: 2, ops: [titleOp("a", "x")] });
      expect((await b.next("patch")).rev).toBe(3);
      // Again, from rev 3: nothing to catch up; the new subscription replaces the old one.
      expect((await subscribed(b, "me", 3)).rev).toBe(3);
      await alice.request("PATCH", "/api/dashboards/me/state", { baseRev: 3, ops: [titleOp("a", "y")] });
      expect((await b.next("patch")).rev).toBe(4);
      b.send({ type: "ping" });
      await b.next("pong");
      expect(b.frames.filter((f) => f.type === "patch").map((f) => f.rev)).toEqual([3, 4]);
      expect(server.app.realtimeHub.subscriptionCount("dashboards")).toBe(1);
    });
  });

  describe("catch-up after a disconnect", () => {
    it("sends exactly the missed patches when sinceRev is within the log", async () => {
      const b = await client();
      await subscribed(b, "me");
      const { rev } = await b.next("snapshot");
      await b.close();
      for (let i = 0; i < 50; i++)
        await alice.request("PATCH", "/api/dashboards/me/state", {
          baseRev: rev + i,
          ops: [titleOp("b", `y${i}`)],
        });

      const again = await client();
      expect((await subscribed(again, "me", rev)).rev).toBe(rev + 50);
      const patches = [];
      for (let i = 0; i < 50; i++) patches.push(await again.next("patch"));
      expect(patches.map((p) => p.rev)).toEqual(Array.from({ length: 50 }, (_, i) => rev + 1 + i));
      again.send({ type: "ping" });
      await again.next("pong");
      expect(again.frames.filter((f) => f.type === "snapshot" || f.type === "patch")).toHaveLength(50);
    });

    it("sends one snapshot equal to the server when sinceRev is older than the log (5000 changes)", async () => {
      const key = { workspaceId: alice.principal.workspaceId, dashboardId: `user:${alice.principal.id}` };
      for (let i = 0; i < 5000; i++) {
        await server.runtime.dashboards.patch(key, { baseRev: 2 + i, ops: [titleOp("a", `z${i}`)] }, "test");
      }
      const b = await client();
      expect((await subscribed(b, "me", 2)).rev).toBe(5002);
      const snapshot = await b.next("snapshot");
      b.send({ type: "ping" });
      await b.next("pong");
      expect(b.frames.filter((f) => f.type === "snapshot" || f.type === "patch")).toHaveLength(1);
      const document = (await alice.request("GET", "/api/dashboards/me/state")).body;
      expect(snapshot.rev).toBe(document.rev);
      expect(snapshot.state).toEqual(document.state);
    });
  });

  describe("widget refresh", () => {
    it("asks the owning agent over its socket, which republishes: loading → ready", async () => {
      const agent = await server.caller({ kind: "agent", name: "planner" });
      const dashboardId = `user:${alice.principal.id}`;
      await agent.request("PUT", `/api/dashboards/${dashboardId}/widgets/kpi`, {
        type: "metrics",
        title: "KPI",
        status: "error",
        error: { message: "upstream down", retryable: true },
        props: { items: [] },
      });
      const agentSocket = await client(agent);
      await subscribed(agentSocket, dashboardId);
      const userSocket = await client();
      await subscribed(userSocket, "me");

      const refresh = await alice.request("POST", "/api/dashboards/me/widgets/kpi/refresh");
      expect(refresh.status).toBe(202);
      expect(await agentSocket.next("refresh")).toEqual({ type: "refresh", dashboardId, widgetId: "kpi" });
      const loading = await userSocket.next("patch");
      expect(loading.ops).toContainEqual({ op: "replace", path: "/widgets/kpi/status", value: "loading" });
      expect(userSocket.rest().some((f) => f.type === "refresh")).toBe(false);

      await agent.request("PUT", `/api/dashboards/${dashboardId}/widgets/kpi`, {
        type: "metrics",
        title: "KPI",
        props: { items: [{ label: "x", value: 1 }] },
      });
      const widget = (await alice.request("GET", "/api/dashboards/me/state")).body.state.widgets.kpi;
      expect(widget.status).toBe("ready");
      expect(widget.error).toBeUndefined();
    });

    it("turns an unanswered refresh into a retryable error after the timeout", async () => {
      // A server of its own with a short refresh timeout, closed when the test ends.
      server = await closedAfterTest(mode.startTestServer({ AGENTBOARD_REFRESH_TIMEOUT_MS: "1000" }));
      alice = await server.caller({ name: "alice" });
      await alice.request("PUT", "/api/dashboards/me/widgets/a", noteWidget("a"));
      const watcher = await client();
      await subscribed(watcher, "me");
      expect((await alice.request("POST", "/api/dashboards/me/widgets/a/refresh")).status).toBe(202);
      await watcher.next("patch", (p) => p.ops.some((op) => "value" in op && op.value === "loading"));
      const failed = await watcher.next(
        "patch",
        (p) => p.ops.some((op) => "value" in op && op.value === "error"),
        10_000,
      );
      expect(failed.ops).toContainEqual({
        op: "add",
        path: "/widgets/a/error",
        value: expect.objectContaining({ code: "refresh_timeout", retryable: true }),
      });
      expect((await alice.request("POST", "/api/dashboards/me/widgets/nope/refresh")).status).toBe(404);
    });
  });

  describe("approval events over the socket", () => {
    it("users see every approval event of their workspace; agents only those of their own requests", async () => {
      const agent = await server.caller({ kind: "agent", name: "deployer" });
      const otherAgent = await server.caller({ kind: "agent", name: "reporter" });
      const mallory = await server.caller({ name: "mallory", workspace: "elsewhere" });
      const sockets = await Promise.all([client(alice), client(agent), client(otherAgent), client(mallory)]);
      for (const socket of sockets) {
        const id = socket.send({ type: "subscribe_approvals" });
        await socket.next("subscribed_approvals", (f) => f.id === id);
      }
      const [userSocket, agentSocket, otherAgentSocket, outsider] = sockets as [
        WsClient,
        WsClient,
        WsClient,
        WsClient,
      ];
      const created = await agent.request("POST", "/api/approvals", {
        type: "deploy",
        title: "Deploy",
        confidence: 10,
      });
      expect(created.status).toBe(201);
      await alice.request("POST", `/api/approvals/${created.body.id}/approve`, { reason: "ok" });

      for (const socket of [userSocket, agentSocket]) {
        expect(await socket.next("approval", (f) => f.event === "created")).toMatchObject({
          approval: { id: created.body.id },
        });
        expect(await socket.next("approval", (f) => f.event === "decided")).toMatchObject({
          approval: { id: created.body.id, status: "approved", reason: "ok" },
        });
      }
      for (const socket of [otherAgentSocket, outsider]) {
        socket.send({ type: "ping", id: "p" });
        await socket.next("pong");
        expect(socket.frames.some((f) => f.type === "approval")).toBe(false);
      }
    });
  });
});
