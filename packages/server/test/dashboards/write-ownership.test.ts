import {
  type Caller,
  callersEachTest,
  connect,
  describeEachMode,
  noteWidget,
} from "@agentboard/test-support";
import { describe, expect, it } from "vitest";

/**
 * Issue 13, findings 1 and 3, through the public surface: an idempotency key belongs to the principal that
 * used it and to the content it was used for, and widgets' `updatedBy` / `updatedAt` are always the server's.
 */
describeEachMode("write ownership", (mode) => {
  const t = callersEachTest(
    {
      alice: { name: "alice" },
      bob: { name: "bob" },
    },
    () => mode.startTestServer(),
  );

  const ref = (caller: Caller) => `${caller.principal.kind}:${caller.principal.id}`;

  const note = (id: string, extra: Record<string, unknown> = {}) => ({
    id,
    type: "note",
    title: id,
    props: { markdown: id },
    status: "ready",
    updatedAt: "2026-01-01T00:00:00.000Z",
    updatedBy: "user:forged",
    ...extra,
  });

  const state = async (caller: Caller, id = "team") =>
    (await caller.request("GET", `/api/dashboards/${id}/state`)).body;

  /** PATCH /api/dashboards/team/state as `caller`; `mutationId` ("<clientId>:<n>") makes it an SDK-style write. */
  const patchTeam = (caller: Caller, baseRev: number, ops: unknown[], mutationId?: string) =>
    caller.request("PATCH", "/api/dashboards/team/state", {
      baseRev,
      ops,
      ...(mutationId ? { clientId: mutationId.split(":")[0], mutationId } : {}),
    });

  /** A realtime `patch` frame for the "team" dashboard from alice's tab. */
  const teamPatch = (ops: unknown[], baseRev: number, mutationId: string) => ({
    type: "patch" as const,
    dashboardId: "team",
    baseRev,
    ops,
    clientId: "alicetab",
    mutationId,
  });

  describe("idempotency keys belong to their principal and their content", () => {
    it("another member reusing alice's (clientId, mutationId) does not make her next edit vanish (REST)", async () => {
      // The outside tester's reproduction, on a shared dashboard.
      const theme = [{ op: "add", path: "/preferences/theme", value: "dark" }];
      const density = [{ op: "add", path: "/preferences/density", value: "compact" }];
      const important = [{ op: "add", path: "/widgets/important", value: note("important") }];
      expect(await patchTeam(t.alice, 0, theme, "alicetab:1")).toEqual({ status: 200, body: { rev: 1 } });
      // bob forges alice's origin:
      expect(await patchTeam(t.bob, 1, density, "alicetab:2")).toEqual({ status: 200, body: { rev: 2 } });
      expect(await patchTeam(t.alice, 2, important, "alicetab:2")).toEqual({ status: 200, body: { rev: 3 } });
      const doc = await state(t.alice);
      expect(doc.rev).toBe(3);
      expect(doc.state.widgets.important).toMatchObject({ title: "important", updatedBy: ref(t.alice) });
      expect(doc.state.preferences).toEqual({ theme: "dark", density: "compact" });
    });

    it("the same principal's key is a replay for the same ops and `idempotency_key_reused` for others", async () => {
      const body = {
        baseRev: 0,
        ops: [{ op: "add", path: "/widgets/a", value: note("a") }],
        clientId: "tab1",
        mutationId: "tab1:1",
      };
      expect(await t.alice.request("PATCH", "/api/dashboards/team/state", body)).toEqual({
        status: 200,
        body: { rev: 1 },
      });
      // A resend after a lost answer, also from a newer base (as the SDK resends after a resync): the first rev.
      expect(await t.alice.request("PATCH", "/api/dashboards/team/state", body)).toEqual({
        status: 200,
        body: { rev: 1 },
      });
      await t.alice.request("PUT", "/api/dashboards/team/widgets/b", noteWidget("b"));
      expect(await t.alice.request("PATCH", "/api/dashboards/team/state", { ...body, baseRev: 2 })).toEqual({
        status: 200,
        body: { rev: 1 },
      });
      const reused = await t.alice.request("PATCH", "/api/dashboards/team/state", {
        ...body,
        baseRev: 2,
        ops: [{ op: "replace", path: "/widgets/a/title", value: "other" }],
      });
      expect(reused.status).toBe(422);
      expect(reused.body).toMatchObject({ error: "invalid", details: { reason: "idempotency_key_reused" } });
      const doc = await state(t.alice);
      expect(doc.rev).toBe(2);
      expect(doc.state.widgets.a.title).toBe("a");
    });

    it("over the WebSocket: a foreign key is a new write with its own ack; a reused one is nacked", async () => {
      const a = await connect(t.server, t.alice);
      const b = await connect(t.server, t.bob);
      const theme = [{ op: "add", path: "/preferences/theme", value: "dark" }];
      expect(await a.answer(a.send(teamPatch(theme, 0, "alicetab:1")))).toMatchObject({
        type: "ack",
        rev: 1,
      });
      const density = [{ op: "add", path: "/preferences/density", value: "compact" }];
      expect(await b.answer(b.send(teamPatch(density, 1, "alicetab:2")))).toMatchObject({
        type: "ack",
        rev: 2,
      });
      const widget = [{ op: "add", path: "/widgets/important", value: note("important") }];
      expect(await a.answer(a.send(teamPatch(widget, 2, "alicetab:2")))).toMatchObject({
        type: "ack",
        rev: 3,
      });
      expect(await a.answer(a.send(teamPatch(theme, 3, "alicetab:2")))).toMatchObject({
        type: "nack",
        error: "invalid",
      });
      expect((await state(t.alice)).state.widgets.important).toBeDefined();
      await Promise.all([a.close(), b.close()]);
    });

    it("tells a change's (clientId, mutationId) only to its own principal's connections", async () => {
      const a = await connect(t.server, t.alice);
      const a2 = await connect(t.server, t.alice);
      const b = await connect(t.server, t.bob);
      for (const socket of [a, a2, b]) {
        socket.send({ type: "subscribe", dashboardId: "team" });
        await socket.next("snapshot");
      }
      const id = a.send(
        teamPatch([{ op: "add", path: "/preferences/theme", value: "dark" }], 0, "alicetab:1"),
      );
      expect(await a.answer(id)).toMatchObject({ type: "ack", rev: 1 });
      expect((await a2.next("patch")).origin).toEqual({ clientId: "alicetab", mutationId: "alicetab:1" });
      expect((await b.next("patch")).origin).toEqual({});
      await Promise.all([a.close(), a2.close(), b.close()]);
    });
  });

  describe("widget attribution is the server's", () => {
    it("replaces a forged updatedBy / updatedAt on PATCH, and stamps every widget a PATCH changes", async () => {
      const added = await patchTeam(t.bob, 0, [
        { op: "add", path: "/widgets/w", value: note("w", { updatedBy: ref(t.alice) }) },
      ]);
      expect(added.status).toBe(200);
      let widget = (await state(t.bob)).state.widgets.w;
      expect(widget.updatedBy).toBe(ref(t.bob));
      expect(widget.updatedAt).not.toBe("2026-01-01T00:00:00.000Z");

      // A patch of the stamps alone changes no content: the widget keeps the stamps of its last real write.
      const addedAt = widget.updatedAt;
      const before = Date.now();
      await patchTeam(t.bob, 1, [
        { op: "replace", path: "/widgets/w/updatedBy", value: ref(t.alice) },
        { op: "replace", path: "/widgets/w/updatedAt", value: "2030-01-01T00:00:00.000Z" },
      ]);
      widget = (await state(t.bob)).state.widgets.w;
      expect(widget.updatedBy).toBe(ref(t.bob));
      expect(widget.updatedAt).toBe(addedAt);

      await patchTeam(t.alice, 2, [{ op: "replace", path: "/widgets/w/title", value: "alice's now" }]);
      widget = (await state(t.bob)).state.widgets.w;
      expect(widget.updatedBy).toBe(ref(t.alice));
      expect(Date.parse(widget.updatedAt)).toBeGreaterThanOrEqual(before);
    });

    it("on PUT: changed widgets are the writer's, unchanged ones keep their stamps whatever was sent", async () => {
      await t.alice.request("PUT", "/api/dashboards/team/widgets/kept", noteWidget("kept"));
      await t.alice.request("PUT", "/api/dashboards/team/widgets/changed", noteWidget("changed"));
      const doc = await state(t.bob);
      const kept = doc.state.widgets.kept;
      const sent = structuredClone(doc.state);
      sent.widgets.kept.updatedBy = ref(t.bob);
      sent.widgets.kept.updatedAt = "2030-01-01T00:00:00.000Z";
      sent.widgets.changed.title = "bob's title";
      sent.widgets.changed.updatedBy = ref(t.alice);
      sent.widgets.fresh = note("fresh", { updatedBy: ref(t.alice) });
      sent.layout.items.push({ widgetId: "fresh", x: 0, y: 20, w: 4, h: 4 });
      expect(
        (await t.bob.request("PUT", "/api/dashboards/team/state", { baseRev: doc.rev, state: sent })).status,
      ).toBe(200);
      const after = (await state(t.bob)).state.widgets;
      expect(after.kept).toEqual(kept);
      expect(after.changed).toMatchObject({ title: "bob's title", updatedBy: ref(t.bob) });
      expect(after.fresh.updatedBy).toBe(ref(t.bob));
    });

    it("routes Retry to the principal that really wrote the widget, not to the one it named", async () => {
      const agent = await t.server.caller({ kind: "agent", name: "reporter" });
      const socket = await connect(t.server, agent);
      const bobSocket = await connect(t.server, t.bob);
      for (const s of [socket, bobSocket]) {
        s.send({ type: "subscribe", dashboardId: "team" });
        await s.next("snapshot");
      }
      await agent.request("PUT", "/api/dashboards/team/widgets/kpi", noteWidget("kpi"));
      // bob edits the widget and names the agent as its writer: the widget is bob's now.
      const { rev } = (await state(t.bob)) as { rev: number };
      await patchTeam(t.bob, rev, [
        { op: "replace", path: "/widgets/kpi/title", value: "bob's" },
        { op: "replace", path: "/widgets/kpi/updatedBy", value: ref(agent) },
      ]);
      expect((await t.alice.request("POST", "/api/dashboards/team/widgets/kpi/refresh")).status).toBe(202);
      expect(await bobSocket.next("refresh")).toMatchObject({ widgetId: "kpi" });
      expect(socket.rest().some((frame) => frame.type === "refresh")).toBe(false);
      await Promise.all([socket.close(), bobSocket.close()]);
    });
  });
});
