import {
  type Caller,
  callersOn,
  describeEachMode,
  noteWidget,
  startEachTest,
  type TestServer,
} from "@agentboard/test-support";
import { describe, expect, it } from "vitest";

describeEachMode("directory", (mode) => {
  let server: TestServer;
  startEachTest(
    (started) => {
      server = started;
    },
    () => mode.startTestServer(),
  );

  const member = (caller: Caller) => ({
    id: caller.principal.id,
    kind: caller.principal.kind,
    name: caller.principal.name,
    displayName: caller.principal.name,
    ...(caller.principal.role ? { role: caller.principal.role } : {}),
  });

  /** What GET /api/dashboards/:id/state says about a dashboard, as a listing item shows it. */
  async function versionOf(caller: Caller, id: string) {
    const { status, body } = await caller.request("GET", `/api/dashboards/${id}/state`);
    expect(status, `${caller.principal.name} reads ${id}`).toBe(200);
    return { rev: body.rev, updatedAt: body.updatedAt };
  }

  /** Every listed dashboard is readable by the caller, at the listed rev. */
  async function expectReadable(
    caller: Caller,
    items: Array<{ id: string; rev: number; updatedAt: unknown }>,
  ) {
    for (const item of items) {
      expect(await versionOf(caller, item.id)).toEqual({ rev: item.rev, updatedAt: item.updatedAt });
    }
  }

  describe("GET /api/members", () => {
    it("lists every principal of the caller's workspace, users by name then agents, to any caller", async () => {
      const { owner, bob, vera, planner, scout } = await callersOn(server, {
        owner: { name: "admin", role: "owner" },
        bob: { name: "bob" },
        vera: { name: "vera", role: "viewer" },
        planner: { kind: "agent", name: "planner" },
        scout: { kind: "agent", name: "scout", scopes: [] },
      });
      await server.caller({ name: "mallory", workspace: "other" });
      await server.caller({ kind: "agent", name: "spy", workspace: "other" });

      const expected = [member(owner), member(bob), member(vera), member(planner), member(scout)];
      expect(expected[3]).not.toHaveProperty("role");
      for (const caller of [owner, vera, planner, scout]) {
        const { status, body } = await caller.request("GET", "/api/members");
        expect(status, caller.principal.name).toBe(200);
        expect(body).toEqual({ items: expected });
      }
    });

    it("documents both answers in the OpenAPI at /docs", async () => {
      const { body } = await server.raw("GET", "/docs/json");
      const itemsOf = (path: string) =>
        body.paths[path].get.responses["200"].content["application/json"].schema.properties.items.items;
      expect(itemsOf("/api/members").required).toEqual(["id", "kind", "name", "displayName"]);
      expect(itemsOf("/api/dashboards").properties.kind.enum).toEqual(["personal", "shared"]);
    });

    it("answers 401 without a token", async () => {
      expect((await server.raw("GET", "/api/members")).status).toBe(401);
      expect((await server.raw("GET", "/api/dashboards")).status).toBe(401);
    });
  });

  describe("GET /api/dashboards", () => {
    it("gives an agent every user's personal dashboard and the workspace's shared ones, all readable", async () => {
      const { alice, bob, agent, stranger } = await callersOn(server, {
        alice: { name: "alice", role: "owner" },
        bob: { name: "bob" },
        agent: { kind: "agent", name: "planner" },
        stranger: { name: "mallory", workspace: "other" },
      });
      expect(
        (await agent.request("PUT", `/api/dashboards/user:${alice.principal.id}/widgets/w`, noteWidget()))
          .status,
      ).toBe(200);
      await alice.request("PUT", "/api/dashboards/team-x/widgets/w", noteWidget());
      await bob.request("PUT", "/api/dashboards/ops/widgets/w", noteWidget());
      await bob.request("PUT", "/api/dashboards/ops/widgets/w2", noteWidget());
      await stranger.request("PUT", "/api/dashboards/secret/widgets/w", noteWidget());

      const { status, body } = await agent.request("GET", "/api/dashboards");
      expect(status).toBe(200);
      expect(body.items).toEqual([
        {
          id: `user:${alice.principal.id}`,
          title: "alice",
          kind: "personal",
          rev: 1,
          updatedAt: expect.any(String),
        },
        { id: `user:${bob.principal.id}`, title: "bob", kind: "personal", rev: 0, updatedAt: null },
        { id: "ops", title: "ops", kind: "shared", rev: 2, updatedAt: expect.any(String) },
        { id: "team-x", title: "team-x", kind: "shared", rev: 1, updatedAt: expect.any(String) },
      ]);
      await expectReadable(agent, body.items);
      expect((await stranger.request("GET", "/api/dashboards")).body.items.map((i: any) => i.id)).toEqual([
        `user:${stranger.principal.id}`,
        "secret",
      ]);
    });

    it("gives a user (viewers too) their own personal dashboard and the shared ones, never another's", async () => {
      const alice = await server.caller({ name: "alice" });
      const bob = await server.caller({ name: "bob" });
      const vera = await server.caller({ name: "vera", role: "viewer" });
      await alice.request("PUT", "/api/dashboards/me/widgets/w", noteWidget());
      await bob.request("PUT", "/api/dashboards/me/widgets/w", noteWidget());
      await bob.request("PUT", "/api/dashboards/ops/widgets/w", noteWidget());

      for (const caller of [alice, bob, vera]) {
        const { status, body } = await caller.request("GET", "/api/dashboards");
        expect(status).toBe(200);
        const own = `user:${caller.principal.id}`;
        expect(body.items.map((item: any) => [item.id, item.kind, item.title])).toEqual([
          [own, "personal", caller.principal.name],
          ["ops", "shared", "ops"],
        ]);
        await expectReadable(caller, body.items);
        // Listed under its stable id, it is the dashboard `me` names for this user.
        expect(await versionOf(caller, "me")).toEqual(await versionOf(caller, own));
      }
      // Not listed because not readable: the rules answer 403 for another user's personal dashboard.
      expect((await alice.request("GET", `/api/dashboards/user:${bob.principal.id}/state`)).status).toBe(403);
    });
  });
});
