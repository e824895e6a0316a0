import { callersEachTest, noteWidget, startTestServer, storedNote } from "@agentboard/test-support";
import { describe, expect, it } from "vitest";

const t = callersEachTest({
  alice: { name: "alice" },
});

const addNote = (id: string, markdown = id) => ({
  op: "add",
  path: `/widgets/${id}`,
  value: storedNote(id, markdown),
});

describe("dashboard documents", () => {
  it("reads a never-written dashboard as rev 0 with the default state", async () => {
    const { status, body } = await t.alice.request("GET", "/api/dashboards/me/state");
    expect(status).toBe(200);
    expect(body).toMatchObject({
      rev: 0,
      schemaVersion: 1,
      state: { schemaVersion: 1, widgets: {}, layout: { columns: 12, items: [] } },
    });
  });

  it("assigns increasing revs to widget upserts, PATCH, PUT and DELETE", async () => {
    const put = await t.alice.request("PUT", "/api/dashboards/me/widgets/w1", noteWidget());
    expect(put.status).toBe(200);
    expect(put.body.rev).toBe(1);
    expect(put.body.widget).toMatchObject({
      id: "w1",
      type: "note",
      status: "ready",
      updatedBy: `user:${t.alice.principal.id}`,
    });

    const patch = await t.alice.request("PATCH", "/api/dashboards/me/state", {
      baseRev: 1,
      ops: [{ op: "replace", path: "/widgets/w1/title", value: "Renamed" }],
    });
    expect(patch).toEqual({ status: 200, body: { rev: 2 } });

    const doc = (await t.alice.request("GET", "/api/dashboards/me/state")).body;
    expect(doc.rev).toBe(2);
    expect(doc.state.widgets.w1.title).toBe("Renamed");
    expect(doc.state.layout.items).toEqual([{ widgetId: "w1", x: 0, y: 0, w: 4, h: 4 }]);

    const replaced = await t.alice.request("PUT", "/api/dashboards/me/state", {
      baseRev: 2,
      state: { ...doc.state, preferences: { theme: "dark" } },
    });
    expect(replaced).toEqual({ status: 200, body: { rev: 3 } });
    const stalePut = await t.alice.request("PUT", "/api/dashboards/me/state", {
      baseRev: 2,
      state: doc.state,
    });
    expect(stalePut.status).toBe(409);
    expect(stalePut.body).toMatchObject({ error: "conflict", details: { rev: 3 } });

    const removed = await t.alice.request("DELETE", "/api/dashboards/me/widgets/w1");
    expect(removed).toEqual({ status: 200, body: { rev: 4 } });
    expect((await t.alice.request("DELETE", "/api/dashboards/me/widgets/w1")).status).toBe(404);

    const reset = await t.alice.request("DELETE", "/api/dashboards/me/state");
    expect(reset.status).toBe(204);
    const after = (await t.alice.request("GET", "/api/dashboards/me/state")).body;
    expect(after.rev).toBe(5);
    expect(after.state.preferences).toEqual({});
  });

  it("rebases a stale PATCH whose paths did not change, and answers 409 with the paths when they did", async () => {
    await t.alice.request("PATCH", "/api/dashboards/me/state", {
      baseRev: 0,
      ops: [addNote("a"), addNote("b")],
    });
    await t.alice.request("PATCH", "/api/dashboards/me/state", {
      baseRev: 1,
      ops: [{ op: "replace", path: "/widgets/a/title", value: "A2" }],
    });

    const rebased = await t.alice.request("PATCH", "/api/dashboards/me/state", {
      baseRev: 1,
      ops: [{ op: "replace", path: "/widgets/b/title", value: "B2" }],
    });
    expect(rebased).toEqual({ status: 200, body: { rev: 3 } });

    const lost = await t.alice.request("PATCH", "/api/dashboards/me/state", {
      baseRev: 1,
      ops: [{ op: "replace", path: "/widgets/a/title", value: "A-loser" }],
    });
    expect(lost.status).toBe(409);
    expect(lost.body).toMatchObject({ error: "conflict", details: { rev: 3, paths: ["/widgets/a/title"] } });

    const doc = (await t.alice.request("GET", "/api/dashboards/me/state")).body;
    expect(doc.state.widgets.a.title).toBe("A2");
    expect(doc.state.widgets.b.title).toBe("B2");
  });

  it("treats a base older than the patch log as overlapping everything", async () => {
    const small = await startTestServer({ AGENTBOARD_PATCH_LOG_LIMIT: "10" });
    try {
      const bob = await small.caller({ name: "bob" });
      await bob.request("PATCH", "/api/dashboards/me/state", {
        baseRev: 0,
        ops: [addNote("a"), addNote("b")],
      });
      for (let i = 0; i < 12; i++) {
        await bob.request("PATCH", "/api/dashboards/me/state", {
          baseRev: i + 1,
          ops: [{ op: "replace", path: "/widgets/a/title", value: `t${i}` }],
        });
      }
      const stale = await bob.request("PATCH", "/api/dashboards/me/state", {
        baseRev: 1,
        ops: [{ op: "replace", path: "/widgets/b/title", value: "x" }],
      });
      expect(stale.status).toBe(409);
      expect(stale.body.details.rev).toBe(13);
      const fresh = await bob.request("PATCH", "/api/dashboards/me/state", {
        baseRev: 5,
        ops: [{ op: "replace", path: "/widgets/b/title", value: "y" }],
      });
      expect(fresh).toEqual({ status: 200, body: { rev: 14 } });
    } finally {
      await small.close();
    }
  });

  it("replays the same (clientId, mutationId) with the first answer and applies nothing twice", async () => {
    const body = { baseRev: 0, ops: [addNote("a")], clientId: "tab-1", mutationId: "m-1" };
    const first = await t.alice.request("PATCH", "/api/dashboards/me/state", body);
    const again = await t.alice.request("PATCH", "/api/dashboards/me/state", body);
    expect(first).toEqual({ status: 200, body: { rev: 1 } });
    expect(again).toEqual({ status: 200, body: { rev: 1 } });
    const doc = (await t.alice.request("GET", "/api/dashboards/me/state")).body;
    expect(doc.rev).toBe(1);
    const other = await t.alice.request("PATCH", "/api/dashboards/me/state", {
      ...body,
      baseRev: 1,
      ops: [addNote("b")],
      mutationId: "m-2",
    });
    expect(other).toEqual({ status: 200, body: { rev: 2 } });
  });

  it("applies 200 concurrent PATCHes on disjoint paths: revs 1..200 without gaps, every change present", async () => {
    const bob = await t.server.caller({ kind: "agent", name: "bob-agent" });
    const owner = `user:${t.alice.principal.id}`;
    const writers = [t.alice, bob];
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        writers[i % 2]!.request("PATCH", `/api/dashboards/${i % 2 === 0 ? "me" : owner}/state`, {
          baseRev: 0,
          ops: [addNote(`w${i}`)],
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(200).fill(200));
    expect(results.map((r) => r.body.rev).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 200 }, (_, i) => i + 1),
    );
    const doc = (await t.alice.request("GET", "/api/dashboards/me/state")).body;
    expect(doc.rev).toBe(200);
    expect(Object.keys(doc.state.widgets).sort()).toEqual(
      Array.from({ length: 200 }, (_, i) => `w${i}`).sort(),
    );
  });

  it("lets exactly one of many concurrent writers to the same path win from one base; the others get 409", async () => {
    await t.alice.request("PATCH", "/api/dashboards/me/state", { baseRev: 0, ops: [addNote("shared")] });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.alice.request("PATCH", "/api/dashboards/me/state", {
          baseRev: 1,
          ops: [{ op: "replace", path: "/widgets/shared/props/markdown", value: `v${i}` }],
        }),
      ),
    );
    const winners = results.filter((r) => r.status === 200);
    const losers = results.filter((r) => r.status === 409);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(19);
    for (const loser of losers)
      expect(loser.body.details).toEqual({ rev: 2, paths: ["/widgets/shared/props/markdown"] });
    const doc = (await t.alice.request("GET", "/api/dashboards/me/state")).body;
    const winnerIndex = results.findIndex((r) => r.status === 200);
    expect(doc.state.widgets.shared.props.markdown).toBe(`v${winnerIndex}`);
    expect(t.server.runtime.dashboards.pendingWrites).toBe(0);
  });
});

describe("stored documents of other schema versions", () => {
  const storeRaw = async (state: unknown) => {
    await t.server.runtime.sqlite.db
      .insertInto("dashboards")
      .values({
        workspace_id: t.alice.principal.workspaceId,
        dashboard_id: `user:${t.alice.principal.id}`,
        rev: 7,
        schema_version: (state as { schemaVersion?: number }).schemaVersion ?? 0,
        state: JSON.stringify(state),
        updated_at: "2026-01-01T00:00:00.000Z",
      })
      .execute();
  };

  it("migrates a v0 document on load and writes it back as v1 on the next change", async () => {
    await storeRaw({
      widgets: [{ id: "old", type: "note", title: "Old", props: { markdown: "v0" }, x: 2, y: 1, w: 5, h: 3 }],
      theme: "dark",
    });
    const doc = (await t.alice.request("GET", "/api/dashboards/me/state")).body;
    expect(doc).toMatchObject({ rev: 7, schemaVersion: 1 });
    expect(doc.state.widgets.old).toMatchObject({ id: "old", type: "note", status: "ready" });
    expect(doc.state.layout.items).toEqual([{ widgetId: "old", x: 2, y: 1, w: 5, h: 3 }]);
    expect(doc.state.preferences).toEqual({ theme: "dark" });
    const patched = await t.alice.request("PATCH", "/api/dashboards/me/state", {
      baseRev: 7,
      ops: [{ op: "replace", path: "/widgets/old/title", value: "New" }],
    });
    expect(patched).toEqual({ status: 200, body: { rev: 8 } });
    const row = await t.server.runtime.sqlite.db
      .selectFrom("dashboards")
      .select(["schema_version", "state"])
      .executeTakeFirstOrThrow();
    expect(row.schema_version).toBe(1);
    expect(JSON.parse(row.state).schemaVersion).toBe(1);
  });

  it("refuses a document from a newer agentboard with the typed error and never resets it", async () => {
    await storeRaw({
      schemaVersion: 2,
      layout: { columns: 12, items: [] },
      widgets: {},
      preferences: {},
      future: true,
    });
    const read = await t.alice.request("GET", "/api/dashboards/me/state");
    expect(read.status).toBe(422);
    expect(read.body).toMatchObject({ error: "invalid", details: { found: 2, supported: 1 } });
    expect(read.body.message).toContain("newer");
    const write = await t.alice.request("PATCH", "/api/dashboards/me/state", {
      baseRev: 7,
      ops: [{ op: "add", path: "/preferences/theme", value: "dark" }],
    });
    expect(write.status).toBe(422);
    const row = await t.server.runtime.sqlite.db
      .selectFrom("dashboards")
      .select(["rev", "state"])
      .executeTakeFirstOrThrow();
    expect(row.rev).toBe(7);
    expect(JSON.parse(row.state).future).toBe(true);
  });
});
