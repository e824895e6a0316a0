import { CLOSE_CODES } from "@agentboard/protocol";
import {
  databaseUrlFor,
  deletePrefix,
  freshPostgres,
  openSocket,
  REDIS_URL,
  randomPrefix,
  testRedis,
  WsClient,
} from "@agentboard/test-support";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupCli, http, lastLine, makeTempDir, runCli, startCliServer } from "./helpers/cli.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  await cleanupCli();
});

describe("admin commands in cluster mode", () => {
  it("token create, login-url and audit verify work on PostgreSQL + Redis with the same environment as start", async () => {
    const postgres = await freshPostgres();
    const prefix = randomPrefix();
    const redis = testRedis();
    cleanups.push(async () => {
      await deletePrefix(redis, prefix);
      redis.disconnect();
      await postgres.drop();
    });
    const env = {
      AGENTBOARD_REDIS_URL: REDIS_URL,
      AGENTBOARD_DATABASE_URL: databaseUrlFor(postgres.schema),
      AGENTBOARD_REDIS_PREFIX: prefix,
    };
    const node = await startCliServer({ dataDir: makeTempDir(), env });
    expect(node.output().stdout).toContain("cluster node on Redis + PostgreSQL");

    const created = await runCli(["token", "create", "--kind", "agent", "--name", "ops"], { env });
    expect(created.code).toBe(0);
    const token = lastLine(created.stdout);
    const me = await http(`${node.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ principal: { kind: "agent", name: "ops" } });

    const request = await http(`${node.url}/api/approvals`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: { type: "deploy", title: "Deploy", confidence: 10 },
    });
    expect(request.status).toBe(201);

    const login = await runCli(["login-url", "--port", String(node.port)], { env });
    expect(login.code).toBe(0);
    const code = new URL(lastLine(login.stdout)).searchParams.get("login");
    const session = await http(`${node.url}/api/auth/session`, { method: "POST", body: { code } });
    expect(session.status).toBe(200);

    const verify = await runCli(["audit", "verify"], { env });
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/ok|verified/i);
  }, 60_000);

  it("token revoke reaches a running node's sockets over the Redis bus (4401 within 1 s)", async () => {
    const postgres = await freshPostgres();
    const prefix = randomPrefix();
    const redis = testRedis();
    cleanups.push(async () => {
      await deletePrefix(redis, prefix);
      redis.disconnect();
      await postgres.drop();
    });
    const env = {
      AGENTBOARD_REDIS_URL: REDIS_URL,
      AGENTBOARD_DATABASE_URL: databaseUrlFor(postgres.schema),
      AGENTBOARD_REDIS_PREFIX: prefix,
    };
    const node = await startCliServer({ dataDir: makeTempDir(), env });
    const created = await runCli(["token", "create", "--kind", "agent", "--name", "ops"], { env });
    const token = lastLine(created.stdout);
    const listed = await runCli(["token", "list", "--json"], { env });
    expect(listed.code, listed.stderr).toBe(0);
    const id = JSON.parse(listed.stdout).items.find((item: { name: string }) => item.name === "ops")?.id;
    expect(id).toMatch(/^tok_/);

    const socket = new WsClient(
      await openSocket(`${node.url.replace("http", "ws")}/api/realtime`, {
        authorization: `Bearer ${token}`,
      }),
    );
    const revoked = await runCli(["token", "revoke", id], { env });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(await socket.closed(1_000)).toBe(CLOSE_CODES.unauthorized);
  }, 60_000);
});
