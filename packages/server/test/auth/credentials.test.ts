import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { callersEachTest, expectApiError, startTestServer, storedNote } from "@agentboard/test-support";
import { describe, expect, it } from "vitest";

/** A configured extra browser Origin (AGENTBOARD_ALLOWED_ORIGINS): cookie writes from it must pass. */
const TRUSTED_ORIGIN = "http://board.example.test:8080";

const t = callersEachTest(
  {
    alice: { name: "alice", role: "admin" },
  },
  () => startTestServer({ AGENTBOARD_ALLOWED_ORIGINS: TRUSTED_ORIGIN }),
);

const COOKIE = "agentboard_session";
const sha256Hex = (secret: string) => createHash("sha256").update(secret, "utf8").digest("hex");

/** The one Set-Cookie of a response, split into its value and lower-cased attributes. */
function sessionCookie(headers: Headers): { value: string; attributes: Map<string, string> } {
  const cookies = headers.getSetCookie().filter((c) => c.startsWith(`${COOKIE}=`));
  expect(cookies).toHaveLength(1);
  const [pair, ...rest] = cookies[0]!.split(";").map((part) => part.trim());
  const attributes = new Map(
    rest.map((part) => {
      const [name, ...value] = part.split("=");
      return [name!.toLowerCase(), value.join("=")] as const;
    }),
  );
  return { value: pair!.slice(COOKIE.length + 1), attributes };
}

async function exchange(body: Record<string, string>) {
  return t.server.raw("POST", "/api/auth/session", {
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function loginCode(ttlMs = 60_000): Promise<string> {
  return (await t.server.runtime.identity.issueSecret(t.alice.principal, "login_code", ttlMs)).secret;
}

async function signIn(): Promise<string> {
  const result = await exchange({ code: await loginCode() });
  expect(result.status).toBe(200);
  return sessionCookie(result.headers).value;
}

const withCookie = (session: string, headers: Record<string, string> = {}) => ({
  cookie: `${COOKIE}=${session}`,
  ...headers,
});

const patchBody = (title: string) =>
  JSON.stringify({
    baseRev: 0,
    ops: [
      {
        op: "add",
        path: "/widgets/w1",
        value: { ...storedNote("w1", "x"), title },
      },
    ],
  });

describe("bearer tokens", () => {
  it("GET /api/me answers who the token belongs to", async () => {
    const me = await t.alice.request("GET", "/api/me");
    expect(me).toEqual({
      status: 200,
      body: {
        principal: { kind: "user", id: t.alice.principal.id, name: "alice", role: "admin" },
        workspace: { id: t.alice.principal.workspaceId, name: "default" },
      },
    });
    const robot = await t.server.caller({ kind: "agent", name: "robot", workspace: "other" });
    const agentMe = await robot.request("GET", "/api/me");
    expect(agentMe.body).toEqual({
      principal: { kind: "agent", id: robot.principal.id, name: "robot" },
      workspace: { id: robot.principal.workspaceId, name: "other" },
    });
    expect(robot.principal.workspaceId).not.toBe(t.alice.principal.workspaceId);
  });

  it("GET /api/me without credentials, or with a token that is not an API token, is 401", async () => {
    expectApiError(await t.server.raw("GET", "/api/me"), 401, "unauthorized");
    const code = await loginCode();
    const session = await signIn();
    for (const secret of [code, session, `${t.alice.token}x`, t.alice.token.slice(0, -1)]) {
      expectApiError(
        await t.server.raw("GET", "/api/me", { headers: { authorization: `Bearer ${secret}` } }),
        401,
        "unauthorized",
      );
    }
  });

  it("a present but invalid bearer token is not downgraded to a valid session cookie", async () => {
    const session = await signIn();
    const result = await t.server.raw("GET", "/api/me", {
      headers: withCookie(session, { authorization: "Bearer ab_not-a-token" }),
    });
    expectApiError(result, 401, "unauthorized");
  });
});

describe("browser sessions", () => {
  it("exchanges a login code for an httpOnly SameSite=Strict cookie that authenticates /api/me", async () => {
    const result = await exchange({ code: await loginCode() });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ principal: { id: t.alice.principal.id, name: "alice" } });

    const { value, attributes } = sessionCookie(result.headers);
    expect(value).toMatch(/^abs_[A-Za-z0-9_-]{43}$/);
    expect(attributes.has("httponly")).toBe(true);
    expect(attributes.get("samesite")).toBe("Strict");
    expect(attributes.get("path")).toBe("/");
    expect(Number(attributes.get("max-age"))).toBeGreaterThan(0);
    // Plain http (no https public URL): a Secure cookie would never be sent back.
    expect(attributes.has("secure")).toBe(false);
    // The response body never carries the session secret (it must stay out of browser script reach).
    expect(JSON.stringify(result.body)).not.toContain(value);

    const me = await t.server.raw("GET", "/api/me", { headers: withCookie(value) });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ principal: { id: t.alice.principal.id, kind: "user" } });
  });

  it("marks the cookie Secure when the public URL is https", async () => {
    const secure = await startTestServer({ AGENTBOARD_PUBLIC_URL: "https://board.example.com" });
    try {
      const bob = await secure.caller({ name: "bob" });
      const result = await secure.raw("POST", "/api/auth/session", {
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ token: bob.token }),
      });
      expect(result.status).toBe(200);
      expect(sessionCookie(result.headers).attributes.has("secure")).toBe(true);
    } finally {
      await secure.close();
    }
  });

  it("accepts a login code once: the second exchange is 401", async () => {
    const code = await loginCode();
    expect((await exchange({ code })).status).toBe(200);
    const again = await exchange({ code });
    expectApiError(again, 401, "unauthorized");
    expect(again.headers.getSetCookie()).toEqual([]);
  });

  it("lets exactly one of several concurrent exchanges of one code win", async () => {
    const code = await loginCode();
    const results = await Promise.all(Array.from({ length: 8 }, () => exchange({ code })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const loser of results.filter((r) => r.status !== 200)) expectApiError(loser, 401, "unauthorized");
  });

  it("refuses an expired login code with 401", async () => {
    const code = await loginCode(1);
    await sleep(20);
    const result = await exchange({ code });
    expectApiError(result, 401, "unauthorized");
    expect(result.headers.getSetCookie()).toEqual([]);
  });

  it("refuses unknown codes and tokens, and a login code sent as a token, with 401", async () => {
    expectApiError(await exchange({ code: "abl_nope" }), 401, "unauthorized");
    expectApiError(await exchange({ token: "ab_nope" }), 401, "unauthorized");
    expectApiError(await exchange({ token: await loginCode() }), 401, "unauthorized");
    expectApiError(await exchange({ code: t.alice.token }), 401, "unauthorized");
  });

  it("exchanges an API token ({token}) for a session", async () => {
    const result = await exchange({ token: t.alice.token });
    expect(result.status).toBe(200);
    const { value } = sessionCookie(result.headers);
    expect(value).not.toBe(t.alice.token);
    const me = await t.server.raw("GET", "/api/me", { headers: withCookie(value) });
    expect(me.body).toMatchObject({ principal: { id: t.alice.principal.id } });
  });

  it("refuses a cookie-authenticated write without an Origin, or from a foreign one, with 403", async () => {
    const session = await signIn();
    const json = { "content-type": "application/json" };
    const noOrigin = await t.server.raw("PATCH", "/api/dashboards/me/state", {
      headers: withCookie(session, json),
      body: patchBody("no origin"),
    });
    expectApiError(noOrigin, 403, "forbidden");
    for (const origin of [
      "http://evil.example",
      "null",
      `${t.server.url}.evil.example`,
      t.server.url.replace("http:", "https:"),
    ]) {
      const foreign = await t.server.raw("PATCH", "/api/dashboards/me/state", {
        headers: withCookie(session, { ...json, origin }),
        body: patchBody(origin),
      });
      expectApiError(foreign, 403, "forbidden");
    }
    // Nothing was written by any of them.
    expect((await t.alice.request("GET", "/api/dashboards/me/state")).body).toMatchObject({ rev: 0 });
    // Reads need no Origin.
    expect(
      (await t.server.raw("GET", "/api/dashboards/me/state", { headers: withCookie(session) })).status,
    ).toBe(200);
  });

  // The app's own origin includes the port actually listened on, also when it was configured as 0.
  it("accepts a cookie-authenticated write from the app's own origin (server.url)", async () => {
    const session = await signIn();
    const result = await t.server.raw("PATCH", "/api/dashboards/me/state", {
      headers: withCookie(session, { "content-type": "application/json", origin: t.server.url }),
      body: patchBody("own origin"),
    });
    expect(result).toMatchObject({ status: 200, body: { rev: 1 } });
  });

  it("accepts a cookie-authenticated write from an origin in AGENTBOARD_ALLOWED_ORIGINS, and only that", async () => {
    const session = await signIn();
    const write = (origin: string) =>
      t.server.raw("PATCH", "/api/dashboards/me/state", {
        headers: withCookie(session, { "content-type": "application/json", origin }),
        body: patchBody(origin),
      });
    expectApiError(await write("http://board.example.test:8081"), 403, "forbidden");
    expectApiError(await write("http://board.example.test"), 403, "forbidden");
    expect(await write(TRUSTED_ORIGIN)).toMatchObject({ status: 200, body: { rev: 1 } });
  });

  it("needs no Origin for a bearer-authenticated write", async () => {
    const result = await t.server.raw("PATCH", "/api/dashboards/me/state", {
      headers: { authorization: `Bearer ${t.alice.token}`, "content-type": "application/json" },
      body: patchBody("bearer"),
    });
    expect(result).toMatchObject({ status: 200, body: { rev: 1 } });
  });

  it("DELETE /api/auth/session revokes the session: the cookie no longer authenticates", async () => {
    const session = await signIn();
    expect((await t.server.raw("GET", "/api/me", { headers: withCookie(session) })).status).toBe(200);

    // Even sign-out is a cookie write: without our Origin it is refused and the session survives.
    expectApiError(
      await t.server.raw("DELETE", "/api/auth/session", { headers: withCookie(session) }),
      403,
      "forbidden",
    );
    expect((await t.server.raw("GET", "/api/me", { headers: withCookie(session) })).status).toBe(200);

    const signOut = await t.server.raw("DELETE", "/api/auth/session", {
      headers: withCookie(session, { origin: TRUSTED_ORIGIN }),
    });
    expect(signOut.status).toBe(204);
    const cleared = sessionCookie(signOut.headers);
    expect(cleared.value).toBe("");

    expectApiError(
      await t.server.raw("GET", "/api/me", { headers: withCookie(session) }),
      401,
      "unauthorized",
    );
    const row = await t.server.runtime.sqlite.db
      .selectFrom("tokens")
      .select(["revoked_at"])
      .where("token_hash", "=", sha256Hex(session))
      .executeTakeFirstOrThrow();
    expect(row.revoked_at).not.toBeNull();
    // Other credentials of the same principal are untouched.
    expect((await t.alice.request("GET", "/api/me")).status).toBe(200);
  });
});

describe("secret storage", () => {
  it("stores API tokens, sessions and login codes only as their SHA-256", async () => {
    const code = await loginCode();
    const unusedCode = await loginCode();
    const sessionFromCode = (await exchange({ code })).headers;
    const session = sessionCookie(sessionFromCode).value;
    const secrets = [t.alice.token, code, unusedCode, session];
    expect(t.alice.token).toMatch(/^ab_/);

    const rows = await t.server.runtime.sqlite.db.selectFrom("tokens").selectAll().execute();
    const dump = JSON.stringify(rows);
    for (const secret of secrets) {
      expect(dump).not.toContain(secret);
      // Not even a long prefix of the random part is stored.
      expect(dump).not.toContain(secret.slice(0, 16));
      const matching = rows.filter((row) => row.token_hash === sha256Hex(secret));
      expect(matching).toHaveLength(1);
      expect(matching[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(rows.find((row) => row.token_hash === sha256Hex(t.alice.token))).toMatchObject({
      kind: "api",
      principal_id: t.alice.principal.id,
      workspace_id: t.alice.principal.workspaceId,
    });
  });
});

describe("rate limits", () => {
  it("answers the 6th request of one principal within a minute with 429, while another principal is served", async () => {
    const limited = await startTestServer({ AGENTBOARD_RATE_LIMIT_PER_MINUTE: "5" });
    try {
      const bob = await limited.caller({ name: "bob" });
      const carol = await limited.caller({ name: "carol" });
      for (let i = 0; i < 5; i++) expect((await bob.request("GET", "/api/me")).status).toBe(200);
      const sixth = await limited.raw("GET", "/api/me", {
        headers: { authorization: `Bearer ${bob.token}` },
      });
      expectApiError(sixth, 429, "rate_limited");
      expect(Number(sixth.headers.get("retry-after"))).toBeGreaterThan(0);

      // Same IP, another principal: its own budget.
      expect((await carol.request("GET", "/api/me")).status).toBe(200);
      // A second token of the same principal shares the principal's budget.
      const bobAgain = await limited.caller({ name: "bob" });
      expect(bobAgain.principal.id).toBe(bob.principal.id);
      expectApiError(
        await limited.raw("GET", "/api/me", { headers: { authorization: `Bearer ${bobAgain.token}` } }),
        429,
        "rate_limited",
      );
      // Health checks are never rate limited (orchestrators poll them).
      for (let i = 0; i < 7; i++) expect((await limited.raw("GET", "/healthz")).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  // Retry-After is in seconds; the body's retryAfterMs must be milliseconds or clients retry 1000x too early.
  it("reports details.retryAfterMs in milliseconds, matching the Retry-After header", async () => {
    const limited = await startTestServer({ AGENTBOARD_RATE_LIMIT_PER_MINUTE: "1" });
    try {
      const bob = await limited.caller({ name: "bob" });
      expect((await bob.request("GET", "/api/me")).status).toBe(200);
      const second = await limited.raw("GET", "/api/me", {
        headers: { authorization: `Bearer ${bob.token}` },
      });
      const error = expectApiError(second, 429, "rate_limited");
      const retryAfterSeconds = Number(second.headers.get("retry-after"));
      expect(retryAfterSeconds).toBeGreaterThan(0);
      expect(error.details).toEqual({ retryAfterMs: retryAfterSeconds * 1000 });
    } finally {
      await limited.close();
    }
  });
});
