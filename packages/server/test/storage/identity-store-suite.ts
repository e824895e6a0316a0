import type { Kysely } from "kysely";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { IdentityStore } from "../../src/auth/identity-store.js";
import { hashSecret } from "../../src/auth/secrets.js";
import type { Database } from "../../src/storage/schema.js";

/** An empty, migrated relational store; `close` removes everything the test wrote. */
export interface IdentityStoreFixture {
  db: Kysely<Database>;
  close(): Promise<void>;
}

/**
 * The behaviour of the identity store (workspaces, principals, tokens) on every relational dialect: one
 * class of portable Kysely queries, run here against SQLite (embedded) and PostgreSQL (cluster), where
 * several nodes may create the same workspace or consume the same login code at once.
 */
export function describeIdentityStore(name: string, open: () => Promise<IdentityStoreFixture>): void {
  describe(`IdentityStore conformance: ${name}`, () => {
    let fixture: IdentityStoreFixture;
    let now: Date;
    let identity: IdentityStore;
    beforeEach(async () => {
      fixture = await open();
      now = new Date("2026-03-01T12:00:00.000Z");
      identity = new IdentityStore(fixture.db, () => now);
    });
    afterEach(async () => fixture.close());

    it("creates a workspace once, even when many callers ask at the same moment", async () => {
      const all = await Promise.all(Array.from({ length: 8 }, () => identity.ensureWorkspace("acme")));
      expect(new Set(all.map((w) => w.id)).size).toBe(1);
      expect(all[0]).toEqual({ id: expect.stringMatching(/^ws_/), name: "acme" });
      expect(await identity.ensureWorkspace("acme")).toEqual(all[0]);
      expect((await identity.ensureWorkspace("other")).id).not.toBe(all[0]!.id);
    });

    it("creates principals once per (workspace, kind, name), keeping an existing user's role", async () => {
      const ws = await identity.ensureWorkspace("acme");
      const racing = await Promise.all(
        Array.from({ length: 6 }, () =>
          identity.ensurePrincipal({ workspace: ws, kind: "user", name: "ann", role: "admin" }),
        ),
      );
      expect(new Set(racing.map((p) => p.id)).size).toBe(1);
      expect(racing[0]).toEqual({
        kind: "user",
        id: expect.stringMatching(/^usr_/),
        name: "ann",
        role: "admin",
        workspaceId: ws.id,
        workspaceName: "acme",
      });
      const again = await identity.ensurePrincipal({
        workspace: ws,
        kind: "user",
        name: "ann",
        role: "viewer",
      });
      expect(again.role).toBe("admin");
      const agent = await identity.ensurePrincipal({
        workspace: ws,
        kind: "agent",
        name: "ann",
        scopes: ["dashboards:write"],
      });
      expect(agent).toMatchObject({ kind: "agent", name: "ann", scopes: ["dashboards:write"] });
      expect(agent.id).toMatch(/^agt_/);
      expect(agent.role).toBeUndefined();
      const member = await identity.ensurePrincipal({ workspace: ws, kind: "user", name: "bob" });
      expect(member.role).toBe("member");
    });

    it("answers user and owner questions scoped by workspace", async () => {
      const acme = await identity.ensureWorkspace("acme");
      const other = await identity.ensureWorkspace("other");
      const ann = await identity.ensurePrincipal({
        workspace: acme,
        kind: "user",
        name: "ann",
        role: "owner",
      });
      now = new Date(now.getTime() + 1000);
      await identity.ensurePrincipal({ workspace: acme, kind: "user", name: "zed", role: "owner" });
      const agent = await identity.ensurePrincipal({ workspace: acme, kind: "agent", name: "bot" });
      expect(await identity.userExists(acme.id, ann.id)).toBe(true);
      expect(await identity.userExists(other.id, ann.id)).toBe(false);
      expect(await identity.userExists(acme.id, agent.id)).toBe(false);
      expect(await identity.countOwners()).toBe(2);
      expect((await identity.findFirstOwner(acme))?.id).toBe(ann.id);
      expect(await identity.findFirstOwner(other)).toBeNull();
    });

    it("stores only a digest of each secret and resolves it by kind, expiry and revocation", async () => {
      const ws = await identity.ensureWorkspace("acme");
      const ann = await identity.ensurePrincipal({ workspace: ws, kind: "user", name: "ann" });
      const api = await identity.issueSecret(ann, "api");
      const session = await identity.issueSecret(ann, "session", 60_000);
      expect(api.secret).toMatch(/^ab_/);
      expect(api.expiresAt).toBeNull();
      expect(session.expiresAt).toBe("2026-03-01T12:01:00.000Z");

      const rows = await fixture.db.selectFrom("tokens").selectAll().execute();
      expect(rows.map((r) => r.token_hash).sort()).toEqual(
        [hashSecret(api.secret), hashSecret(session.secret)].sort(),
      );
      expect(JSON.stringify(rows)).not.toContain(api.secret);

      // The principal carries the credential (tokens row) it was authenticated with.
      const apiRow = rows.find((r) => r.token_hash === hashSecret(api.secret))!;
      expect(await identity.resolveSecret(api.secret, ["api"])).toEqual({ ...ann, credentialId: apiRow.id });
      expect(await identity.resolveSecret(api.secret, ["session"])).toBeNull();
      expect(await identity.resolveSecret("ab_unknown", ["api"])).toBeNull();
      expect((await identity.resolveSecret(session.secret, ["session"]))?.id).toBe(ann.id);
      now = new Date(now.getTime() + 60_000);
      expect(await identity.resolveSecret(session.secret, ["session"])).toBeNull();
      await identity.revokeSecret(api.secret);
      expect(await identity.resolveSecret(api.secret, ["api"])).toBeNull();
    });

    it("re-resolves a credential by id, lists live ones, revokes by id within a scope, and records last use once a minute", async () => {
      const ws = await identity.ensureWorkspace("acme");
      const other = await identity.ensureWorkspace("other");
      const ann = await identity.ensurePrincipal({ workspace: ws, kind: "user", name: "ann", role: "admin" });
      const bot = await identity.ensurePrincipal({ workspace: ws, kind: "agent", name: "bot" });
      // A millisecond apart: the list is oldest first.
      const tick = () => {
        now = new Date(now.getTime() + 1);
      };
      const api = await identity.issueSecret(ann, "api");
      tick();
      const session = await identity.issueSecret(ann, "session", 120_000);
      tick();
      await identity.issueSecret(ann, "login_code", 60_000);
      const botApi = await identity.issueSecret(bot, "api");
      const annId = (await identity.resolveSecret(api.secret, ["api"]))!.credentialId!;
      const sessionId = (await identity.resolveSecret(session.secret, ["session"]))!.credentialId!;
      const botId = (await identity.resolveSecret(botApi.secret, ["api"]))!.credentialId!;

      expect(await identity.resolveCredential(annId)).toEqual({ ...ann, credentialId: annId });
      const listed = await identity.listTokens(ws.id);
      expect(listed.map((t) => [t.id, t.tokenKind, t.kind, t.name])).toEqual([
        [annId, "api", "user", "ann"],
        [sessionId, "session", "user", "ann"],
        [botId, "api", "agent", "bot"],
      ]);
      expect(listed[0]).toMatchObject({ role: "admin", lastUsedAt: "2026-03-01T12:00:00.002Z" });
      expect(listed[1]!.expiresAt).toBe("2026-03-01T12:02:00.001Z");
      expect((await identity.listTokens(ws.id, bot.id)).map((t) => t.id)).toEqual([botId]);
      expect(await identity.listTokens(other.id)).toEqual([]);

      // Last use is written at most once a minute.
      now = new Date(now.getTime() + 30_000);
      await identity.resolveSecret(api.secret, ["api"]);
      expect((await identity.listTokens(ws.id))[0]!.lastUsedAt).toBe("2026-03-01T12:00:00.002Z");
      now = new Date(now.getTime() + 30_000);
      await identity.resolveSecret(api.secret, ["api"]);
      expect((await identity.listTokens(ws.id))[0]!.lastUsedAt).toBe("2026-03-01T12:01:00.002Z");

      // Scoped revocation: another workspace or another principal's scope finds nothing.
      expect(await identity.revokeToken(botId, { workspaceId: other.id })).toBeNull();
      expect(await identity.revokeToken(botId, { workspaceId: ws.id, principalId: ann.id })).toBeNull();
      const since = now.toISOString();
      now = new Date(now.getTime() + 1_000);
      expect(await identity.revokeToken(botId, { workspaceId: ws.id })).toEqual({
        id: botId,
        principalId: bot.id,
        workspaceId: ws.id,
      });
      expect(await identity.resolveCredential(botId)).toBeNull();
      expect(await identity.resolveSecret(botApi.secret, ["api"])).toBeNull();
      expect((await identity.revokedSince(since)).map((r) => r.id)).toEqual([botId]);
      expect(await identity.revokedSince(now.toISOString())).toEqual([]);
      expect((await identity.listTokens(ws.id)).map((t) => t.id)).toEqual([annId, sessionId]);
      // An expired session is neither listed nor resolved by id.
      now = new Date(now.getTime() + 120_000);
      expect(await identity.resolveCredential(sessionId)).toBeNull();
      expect((await identity.listTokens(ws.id)).map((t) => t.id)).toEqual([annId]);
    });

    it("changes roles and removes principals, never the last owner, also when two owners race", async () => {
      const ws = await identity.ensureWorkspace("acme");
      const ann = await identity.ensurePrincipal({ workspace: ws, kind: "user", name: "ann", role: "owner" });
      const bea = await identity.ensurePrincipal({ workspace: ws, kind: "user", name: "bea", role: "owner" });
      const bot = await identity.ensurePrincipal({ workspace: ws, kind: "agent", name: "bot" });
      const other = await identity.ensureWorkspace("other");

      await expect(identity.setRole(other.id, ann.id, "viewer")).rejects.toMatchObject({ code: "not_found" });
      await expect(identity.setRole(ws.id, bot.id, "admin")).rejects.toMatchObject({ code: "invalid" });
      // Two owners demoting each other at once: one wins, the workspace keeps an owner.
      const raced = await Promise.allSettled([
        identity.setRole(ws.id, ann.id, "member"),
        identity.setRole(ws.id, bea.id, "member"),
      ]);
      expect(raced.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      expect(raced.find((r) => r.status === "rejected")).toMatchObject({ reason: { code: "conflict" } });
      const owners = await fixture.db
        .selectFrom("principals")
        .select("id")
        .where("workspace_id", "=", ws.id)
        .where("role", "=", "owner")
        .execute();
      expect(owners).toHaveLength(1);
      const owner = owners[0]!.id;
      await expect(identity.removePrincipal(ws.id, owner)).rejects.toMatchObject({ code: "conflict" });

      const token = await identity.issueSecret(bot, "api");
      expect(await identity.removePrincipal(ws.id, bot.id)).toEqual({
        id: bot.id,
        kind: "agent",
        name: "bot",
      });
      expect(await identity.resolveSecret(token.secret, ["api"])).toBeNull();
      expect(
        await fixture.db.selectFrom("tokens").select("id").where("principal_id", "=", bot.id).execute(),
      ).toEqual([]);
      await expect(identity.removePrincipal(ws.id, bot.id)).rejects.toMatchObject({ code: "not_found" });
    });

    it("lets exactly one of many concurrent consumers use a login code", async () => {
      const ws = await identity.ensureWorkspace("acme");
      const ann = await identity.ensurePrincipal({ workspace: ws, kind: "user", name: "ann", role: "owner" });
      const { secret } = await identity.issueSecret(ann, "login_code", 60_000);
      const results = await Promise.all(Array.from({ length: 8 }, () => identity.consumeLoginCode(secret)));
      expect(results.filter((p) => p !== null).map((p) => p?.id)).toEqual([ann.id]);
      expect(await identity.consumeLoginCode(secret)).toBeNull();
      await expect(identity.ping()).resolves.toBeUndefined();
    });
  });
}
