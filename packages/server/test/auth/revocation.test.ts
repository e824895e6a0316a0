/**
 * Revocation reaches what is already open (issue 13, part 2): signing out, revoking a token, changing a
 * member's role or removing a member closes the WebSockets they authenticated with 4401 ("sign in again")
 * within 1 s, voids unused realtime tickets and ends approval long-polls; in both modes (on two nodes, requests
 * and sockets land on either). cluster-revocation.test.ts covers a sign-out on one node reaching the other.
 */
import { createHash } from "node:crypto";
import { CLOSE_CODES } from "@agentboard/protocol";
import {
  type Caller,
  callersEachTest,
  closedAfterEach,
  describeEachMode,
  expectApiError,
  noteWidget,
  openSocket,
  ticketFor,
  WsClient,
} from "@agentboard/test-support";
import { describe, expect, it } from "vitest";

/** The contract: a revocation closes the sockets it reaches within 1 s. A deadline, not a benchmark. */
const CLOSE_DEADLINE_MS = 1_000;
/** A configured browser Origin, so cookie-authenticated writes pass behind a balancer too. */
const TRUSTED_ORIGIN = "http://board.example.test:8080";
const COOKIE = "agentboard_session";

describeEachMode("revocation", (mode) => {
  const t = callersEachTest(
    {
      owner: { name: "olivia", role: "owner" },
      bob: { name: "bob", role: "member" },
    },
    () => mode.startTestServer({ AGENTBOARD_ALLOWED_ORIGINS: TRUSTED_ORIGIN }),
  );
  const clients = closedAfterEach<WsClient>();

  const wsUrl = (query = "") => `${t.server.url.replace("http", "ws")}/api/realtime${query}`;

  async function track(socket: Promise<import("ws").WebSocket>): Promise<WsClient> {
    const client = new WsClient(await socket);
    clients.push(client);
    return client;
  }

  /** A browser session for `caller` (its API token exchanged for the session cookie). */
  async function signIn(caller: Caller): Promise<string> {
    const result = await t.server.raw("POST", "/api/auth/session", {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: caller.token }),
    });
    expect(result.status).toBe(200);
    const cookie = result.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE}=`));
    return /^agentboard_session=([^;]+)/.exec(cookie ?? "")![1]!;
  }

  const withSession = (session: string) => ({ cookie: `${COOKIE}=${session}`, origin: TRUSTED_ORIGIN });

  async function sessionTicket(session: string): Promise<string> {
    const result = await t.server.raw("POST", "/api/realtime/ticket", { headers: withSession(session) });
    expect(result.status).toBe(200);
    return result.body.ticket as string;
  }

  /** The socket still serves: a ping gets its pong. */
  async function expectAlive(client: WsClient): Promise<void> {
    const id = client.send({ type: "ping" });
    await client.next("pong", (frame) => frame.id === id);
  }

  /** The id of `caller`'s API token, as GET /api/tokens shows it to the caller itself. */
  async function ownTokenId(caller: Caller): Promise<string> {
    const listed = await caller.request("GET", "/api/tokens");
    expect(listed.status).toBe(200);
    const api = listed.body.items.filter((item: { tokenKind: string }) => item.tokenKind === "api");
    expect(api).toHaveLength(1);
    return api[0].id as string;
  }

  function notePatch(widgetId: string) {
    return [
      {
        op: "add",
        path: `/widgets/${widgetId}`,
        value: {
          id: widgetId,
          ...noteWidget(widgetId),
          status: "ready",
          updatedAt: "2026-01-01T00:00:00Z",
          updatedBy: "x",
        },
      },
    ];
  }

  describe("sign-out (DELETE /api/auth/session)", () => {
    it("closes every socket the session opened with 4401 within 1 s and voids its unused tickets", async () => {
      const session = await signIn(t.owner);
      const byTicket = await track(openSocket(wsUrl(`?ticket=${await sessionTicket(session)}`)));
      // Outside production a session cookie alone may open a socket: that one closes too.
      const byCookie = await track(openSocket(wsUrl(), withSession(session)));
      const unused = await sessionTicket(session);
      // The same principal's API token is another credential: its socket stays.
      const byToken = await track(openSocket(wsUrl(), { authorization: `Bearer ${t.owner.token}` }));
      await Promise.all([expectAlive(byTicket), expectAlive(byCookie), expectAlive(byToken)]);

      const signOut = await t.server.raw("DELETE", "/api/auth/session", { headers: withSession(session) });
      expect(signOut.status).toBe(204);

      expect(await byTicket.closed(CLOSE_DEADLINE_MS)).toBe(CLOSE_CODES.unauthorized);
      expect(await byCookie.closed(CLOSE_DEADLINE_MS)).toBe(CLOSE_CODES.unauthorized);
      await expect(openSocket(wsUrl(`?ticket=${unused}`))).rejects.toMatchObject({ status: 401 });
      await expectAlive(byToken);
    });
  });

  describe("GET /api/tokens and DELETE /api/tokens/:id", () => {
    it("lists API tokens and sessions (owners: the workspace's; others: their own), never a secret", async () => {
      const session = await signIn(t.bob);
      const outsider = await t.server.caller({ name: "zed", role: "owner", workspace: "elsewhere" });
      // A login code is a credential too, but never listed.
      await t.server.runtime.identity.issueSecret(t.owner.principal, "login_code", 60_000);

      const all = await t.owner.request("GET", "/api/tokens");
      expect(all.status).toBe(200);
      const summary = all.body.items.map((item: Record<string, unknown>) => [item.name, item.tokenKind]);
      expect(summary).toHaveLength(3);
      expect(summary).toEqual(
        expect.arrayContaining([
          ["olivia", "api"],
          ["bob", "api"],
          ["bob", "session"],
        ]),
      );
      const bobsSession = all.body.items.find((item: { tokenKind: string }) => item.tokenKind === "session");
      expect(bobsSession).toMatchObject({
        kind: "user",
        principalId: t.bob.principal.id,
        role: "member",
        tokenKind: "session",
      });
      expect(typeof bobsSession.expiresAt).toBe("string");
      // The owner's token has just authenticated this listing; the session never authenticated anything.
      expect(all.body.items.find((item: { name: string }) => item.name === "olivia").lastUsedAt).toEqual(
        expect.any(String),
      );
      expect(bobsSession.lastUsedAt).toBeUndefined();

      const text = JSON.stringify(all.body);
      for (const secret of [t.owner.token, t.bob.token, session]) {
        expect(text).not.toContain(secret);
        expect(text).not.toContain(createHash("sha256").update(secret).digest("hex"));
      }

      const own = await t.bob.request("GET", "/api/tokens");
      expect(own.body.items.map((item: { principalId: string }) => item.principalId)).toEqual([
        t.bob.principal.id,
        t.bob.principal.id,
      ]);
      expect((await outsider.request("GET", "/api/tokens")).body.items).toHaveLength(1);
    });

    it("revoking a token closes its bearer-authenticated sockets (4401, within 1 s) and voids its tickets", async () => {
      const tokenId = await ownTokenId(t.bob);
      const socket = await track(openSocket(wsUrl(), { authorization: `Bearer ${t.bob.token}` }));
      const byTicket = await track(openSocket(wsUrl(`?ticket=${await ticketFor(t.bob)}`)));
      const unused = await ticketFor(t.bob);
      const ownersSocket = await track(openSocket(wsUrl(), { authorization: `Bearer ${t.owner.token}` }));
      await Promise.all([expectAlive(socket), expectAlive(byTicket)]);

      // Another workspace's owner, and a member who does not hold it, cannot even see it.
      const outsider = await t.server.caller({ name: "zed", role: "owner", workspace: "elsewhere" });
      const dave = await t.server.caller({ name: "dave", role: "member" });
      expectApiError(await outsider.request("DELETE", `/api/tokens/${tokenId}`), 404, "not_found");
      expectApiError(await dave.request("DELETE", `/api/tokens/${tokenId}`), 404, "not_found");
      await expectAlive(socket);

      expect((await t.owner.request("DELETE", `/api/tokens/${tokenId}`)).status).toBe(204);
      expect(await socket.closed(CLOSE_DEADLINE_MS)).toBe(CLOSE_CODES.unauthorized);
      expect(await byTicket.closed(CLOSE_DEADLINE_MS)).toBe(CLOSE_CODES.unauthorized);
      await expect(openSocket(wsUrl(`?ticket=${unused}`))).rejects.toMatchObject({ status: 401 });
      expectApiError(await t.bob.request("GET", "/api/me"), 401, "unauthorized");
      await expectAlive(ownersSocket);
      // Gone from the list; revoking it again is still 204 (DELETE is idempotent).
      const listed = await t.owner.request("GET", "/api/tokens");
      expect(listed.body.items.map((item: { id: string }) => item.id)).not.toContain(tokenId);
      expect((await t.owner.request("DELETE", `/api/tokens/${tokenId}`)).status).toBe(204);
    });

    it("a member revokes its own token; the token's own socket closes", async () => {
      const tokenId = await ownTokenId(t.bob);
      const socket = await track(openSocket(wsUrl(), { authorization: `Bearer ${t.bob.token}` }));
      expect((await t.bob.request("DELETE", `/api/tokens/${tokenId}`)).status).toBe(204);
      expect(await socket.closed(CLOSE_DEADLINE_MS)).toBe(CLOSE_CODES.unauthorized);
    });

    it("ends an approval long-poll of the revoked token with 401", async () => {
      const agent = await t.server.caller({ kind: "agent", name: "deployer" });
      const created = await agent.request("POST", "/api/approvals", { type: "deploy", title: "Deploy" });
      expect(created.status).toBe(201);
      const tokenId = await ownTokenId(agent);
      const waiting = agent.request("GET", `/api/approvals/${created.body.id}/wait?timeoutMs=30000`);
      expect((await t.owner.request("DELETE", `/api/tokens/${tokenId}`)).status).toBe(204);
      // Without the revocation this wait would answer 200 (still pending) after 30 s, past the test's timeout.
      expectApiError(await waiting, 401, "unauthorized");
    });
  });

  describe("PATCH /api/members/:id and DELETE /api/members/:id", () => {
    it("a role change closes the member's sockets with 4401; a new socket has the new role", async () => {
      const socket = await track(openSocket(wsUrl(`?ticket=${await ticketFor(t.bob)}`)));
      const write = socket.send({
        type: "patch",
        dashboardId: "team",
        baseRev: 0,
        ops: notePatch("w1"),
        clientId: "bobtab",
        mutationId: "bobtab:1",
      });
      expect(await socket.answer(write)).toMatchObject({ type: "ack", rev: 1 });
      // A ticket taken before the change: used after it, it carries the new role, not the snapshot.
      const earlier = await ticketFor(t.bob);

      const changed = await t.owner.request("PATCH", `/api/members/${t.bob.principal.id}`, {
        role: "viewer",
      });
      expect(changed).toEqual({
        status: 200,
        body: { id: t.bob.principal.id, kind: "user", name: "bob", displayName: "bob", role: "viewer" },
      });
      expect(await socket.closed(CLOSE_DEADLINE_MS)).toBe(CLOSE_CODES.unauthorized);

      for (const ticket of [earlier, await ticketFor(t.bob)]) {
        const again = await track(openSocket(wsUrl(`?ticket=${ticket}`)));
        const refused = again.send({
          type: "patch",
          dashboardId: "team",
          baseRev: 1,
          ops: notePatch("w2"),
          clientId: "bobtab",
          mutationId: `bobtab:${ticket.slice(-6)}`,
        });
        expect(await again.answer(refused)).toMatchObject({ type: "nack", error: "forbidden" });
        await expectAlive(again);
      }
      expect((await t.bob.request("GET", "/api/me")).body.principal.role).toBe("viewer");
    });

    it("setting the role a member already has leaves its sockets open", async () => {
      const socket = await track(openSocket(wsUrl(), { authorization: `Bearer ${t.bob.token}` }));
      expect(
        (await t.owner.request("PATCH", `/api/members/${t.bob.principal.id}`, { role: "member" })).status,
      ).toBe(200);
      // Embedded, the announcement was delivered before this answer (the bus is synchronous) and spared the
      // socket; a close would have come before the pong.
      await expectAlive(socket);
      expect(socket.closeCode).toBeUndefined();
    });

    it("removing a member closes its sockets, kills its tokens and voids its tickets", async () => {
      const socket = await track(openSocket(wsUrl(), { authorization: `Bearer ${t.bob.token}` }));
      const unused = await ticketFor(t.bob);
      expect((await t.owner.request("DELETE", `/api/members/${t.bob.principal.id}`)).status).toBe(204);
      expect(await socket.closed(CLOSE_DEADLINE_MS)).toBe(CLOSE_CODES.unauthorized);
      await expect(openSocket(wsUrl(`?ticket=${unused}`))).rejects.toMatchObject({ status: 401 });
      expectApiError(await t.bob.request("GET", "/api/me"), 401, "unauthorized");
      const members = await t.owner.request("GET", "/api/tokens");
      expect(members.body.items.map((item: { principalId: string }) => item.principalId)).not.toContain(
        t.bob.principal.id,
      );
      expectApiError(await t.owner.request("DELETE", `/api/members/${t.bob.principal.id}`), 404, "not_found");
    });

    it("keeps the last owner, lets only owners touch owners, and only owners and admins manage members", async () => {
      const admin = await t.server.caller({ name: "ada", role: "admin" });
      const outsider = await t.server.caller({ name: "zed", role: "owner", workspace: "elsewhere" });
      const path = (caller: Caller) => `/api/members/${caller.principal.id}`;

      const last = expectApiError(
        await t.owner.request("PATCH", path(t.owner), { role: "admin" }),
        409,
        "conflict",
      );
      expect(last.details).toEqual({ reason: "last_owner" });
      expectApiError(await t.owner.request("DELETE", path(t.owner)), 409, "conflict");

      expectApiError(await t.bob.request("PATCH", path(t.bob), { role: "owner" }), 403, "forbidden");
      expectApiError(await t.bob.request("DELETE", path(admin)), 403, "forbidden");
      expectApiError(await admin.request("PATCH", path(t.bob), { role: "owner" }), 403, "forbidden");
      expectApiError(await admin.request("PATCH", path(t.owner), { role: "member" }), 403, "forbidden");
      expectApiError(await admin.request("DELETE", path(t.owner)), 403, "forbidden");
      expectApiError(await outsider.request("PATCH", path(t.bob), { role: "viewer" }), 404, "not_found");
      expectApiError(await t.owner.request("PATCH", path(t.bob), { role: "root" }), 422, "invalid");
      const agent = await t.server.caller({ kind: "agent", name: "robot" });
      expectApiError(await t.owner.request("PATCH", path(agent), { role: "admin" }), 422, "invalid");

      expect((await admin.request("PATCH", path(t.bob), { role: "admin" })).status).toBe(200);
      // With a second owner, the first may step down.
      expect((await t.owner.request("PATCH", path(admin), { role: "owner" })).status).toBe(200);
      expect((await t.owner.request("PATCH", path(t.owner), { role: "member" })).status).toBe(200);
      expectApiError(await admin.request("DELETE", path(admin)), 409, "conflict");
    });
  });
});
