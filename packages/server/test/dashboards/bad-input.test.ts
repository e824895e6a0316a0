import {
  type Caller,
  expectApiError,
  noteWidget,
  startEachTest,
  startTestServer,
  storedNote,
  type TestServer,
} from "@agentboard/test-support";
import { describe, expect, it } from "vitest";

// Contract "Errors": bad input never changes stored data. Every test here sends one kind of bad input against
// a seeded document and then compares the GET bodies (rev, updatedAt and state, byte for byte) with the ones
// recorded before.

let server: TestServer;
let alice: Caller;
let before: { me: string; team: string };

const ME = "/api/dashboards/me/state";
const TEAM = "/api/dashboards/team/state";
const DOCUMENT_LIMIT = 256 * 1024;

const alertWidget = (href: string) => ({
  type: "alert",
  title: "Disk",
  props: { severity: "warning", message: "disk almost full", link: { label: "runbook", href } },
});

/** Five notes of 60 KiB each: every one is valid alone (markdown ≤ 64 KiB), together they pass 256 KiB. */
const bigNotes = () =>
  Object.fromEntries(
    Array.from({ length: 5 }, (_, i) => [`big${i}`, storedNote(`big${i}`, "x".repeat(60 * 1024))]),
  );

async function readText(caller: Caller, path: string): Promise<string> {
  const response = await fetch(server.url + path, { headers: { authorization: `Bearer ${caller.token}` } });
  expect(response.status).toBe(200);
  return response.text();
}

async function snapshot(): Promise<{ me: string; team: string }> {
  return { me: await readText(alice, ME), team: await readText(alice, TEAM) };
}

async function expectUnchanged(): Promise<void> {
  expect(await snapshot()).toEqual(before);
}

/** Sends a hand-written body (so it can hold what JSON.stringify would never produce). */
function sendText(
  caller: Caller,
  method: string,
  path: string,
  body: string,
  contentType = "application/json",
) {
  return server.raw(method, path, {
    headers: { authorization: `Bearer ${caller.token}`, "content-type": contentType },
    body,
  });
}

function expectPrototypeClean(): void {
  for (const key of ["polluted", "isAdmin"]) {
    expect(Object.hasOwn(Object.prototype, key)).toBe(false);
    expect(({} as Record<string, unknown>)[key]).toBeUndefined();
  }
}

startEachTest(async (started) => {
  server = started;
  alice = await server.caller({ name: "alice" });
  expect((await alice.request("PUT", "/api/dashboards/me/widgets/w1", noteWidget("first"))).status).toBe(200);
  const alert = await alice.request(
    "PUT",
    "/api/dashboards/me/widgets/w2",
    alertWidget("https://example.com/runbook"),
  );
  expect(alert.status).toBe(200);
  expect(
    (await alice.request("PUT", "/api/dashboards/team/widgets/t1", noteWidget("team note"))).status,
  ).toBe(200);
  before = await snapshot();
  expect(JSON.parse(before.me)).toMatchObject({ rev: 2, state: { widgets: { w1: {}, w2: {} } } });
  expect(JSON.parse(before.team)).toMatchObject({ rev: 1, state: { widgets: { t1: {} } } });
});

describe("the unchanged-document check", () => {
  it("notices a valid write, so the comparisons below can fail", async () => {
    const ok = await alice.request("PATCH", ME, {
      baseRev: 2,
      ops: [{ op: "replace", path: "/widgets/w1/title", value: "changed" }],
    });
    expect(ok).toEqual({ status: 200, body: { rev: 3 } });
    await expect(expectUnchanged()).rejects.toThrow();
  });
});

describe("JSON Patch paths", () => {
  const patch = (ops: unknown[]) => alice.request("PATCH", ME, { baseRev: 2, ops });

  it.each([
    ["add under /widgets", { op: "add", path: "/widgets/__proto__", value: storedNote("w9") }],
    ["add inside a widget", { op: "add", path: "/widgets/w1/__proto__/polluted", value: true }],
    ["replace at the root", { op: "replace", path: "/__proto__/polluted", value: true }],
    ["copy from", { op: "copy", from: "/widgets/__proto__", path: "/widgets/w9" }],
    ["inside props", { op: "add", path: "/widgets/w1/props/__proto__", value: { isAdmin: true } }],
  ])("refuses __proto__ (%s) as 422 invalid", async (_name, op) => {
    const error = expectApiError(await patch([op]), 422, "invalid");
    expect(error.details).toMatchObject({ reason: expect.stringMatching(/reserved/) });
    expectPrototypeClean();
    await expectUnchanged();
  });

  it.each([
    ["/widgets/constructor", { op: "add", path: "/widgets/constructor", value: storedNote("constructor") }],
    ["/widgets/prototype", { op: "add", path: "/widgets/prototype", value: storedNote("prototype") }],
    ["/widgets/w1/props/prototype", { op: "add", path: "/widgets/w1/props/prototype", value: {} }],
    [
      "/preferences/constructor",
      { op: "replace", path: "/preferences/constructor", value: { isAdmin: true } },
    ],
    [
      "constructor/prototype chain",
      { op: "add", path: "/widgets/w1/constructor/prototype/polluted", value: 1 },
    ],
    ["move from /widgets/prototype", { op: "move", from: "/widgets/prototype", path: "/widgets/w9" }],
  ])("refuses the segment in %s as 422 invalid", async (_name, op) => {
    const error = expectApiError(await patch([op]), 422, "invalid");
    expect(error.details).toMatchObject({ reason: expect.stringMatching(/reserved/) });
    expectPrototypeClean();
    await expectUnchanged();
  });

  it("refuses a forbidden segment even when it follows valid ops in the same patch", async () => {
    const result = await patch([
      { op: "replace", path: "/widgets/w1/title", value: "would be applied first" },
      { op: "add", path: "/widgets/w1/props/constructor", value: {} },
    ]);
    expectApiError(result, 422, "invalid");
    await expectUnchanged();
  });

  it.each([
    ["an unknown root", "/foo"],
    ["an unknown root under a known name's prefix", "/widgetsx/w1"],
    ["the whole document", ""],
  ])("refuses %s as 422 invalid", async (_name, path) => {
    expectApiError(await patch([{ op: "add", path, value: {} }]), 422, "invalid");
    await expectUnchanged();
  });

  it("refuses /schemaVersion (owned by migrations) as 422 invalid", async () => {
    expectApiError(await patch([{ op: "replace", path: "/schemaVersion", value: 2 }]), 422, "invalid");
    expectApiError(await patch([{ op: "remove", path: "/schemaVersion" }]), 422, "invalid");
    await expectUnchanged();
  });
});

describe("widget content", () => {
  it("refuses an unknown widget type via PUT widget as 422 invalid", async () => {
    const result = await alice.request("PUT", "/api/dashboards/me/widgets/w3", {
      type: "iframe",
      title: "Embed",
      props: { src: "https://example.com" },
    });
    expectApiError(result, 422, "invalid");
    await expectUnchanged();
  });

  it("refuses an unknown widget type via PATCH add and via replacing a widget's type as 422 invalid", async () => {
    const added = await alice.request("PATCH", ME, {
      baseRev: 2,
      ops: [{ op: "add", path: "/widgets/w3", value: { ...storedNote("w3"), type: "iframe" } }],
    });
    expectApiError(added, 422, "invalid");
    const retyped = await alice.request("PATCH", ME, {
      baseRev: 2,
      ops: [{ op: "replace", path: "/widgets/w1/type", value: "iframe" }],
    });
    expectApiError(retyped, 422, "invalid");
    await expectUnchanged();
  });

  it.each([
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "java\tscript:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "//evil.example/phish",
  ])("refuses the alert link %j via PUT widget and via PATCH as 422 invalid", async (href) => {
    const put = await alice.request("PUT", "/api/dashboards/me/widgets/w2", alertWidget(href));
    expectApiError(put, 422, "invalid");
    const patched = await alice.request("PATCH", ME, {
      baseRev: 2,
      ops: [{ op: "replace", path: "/widgets/w2/props/link/href", value: href }],
    });
    expectApiError(patched, 422, "invalid");
    await expectUnchanged();
  });
});

describe("document size", () => {
  it("refuses a PUT state over 256 KiB as 413 payload_too_large", async () => {
    const current = JSON.parse(before.me) as { state: { widgets: Record<string, unknown> } };
    const state = { ...current.state, widgets: { ...current.state.widgets, ...bigNotes() } };
    const body = JSON.stringify({ baseRev: 2, state });
    expect(body.length).toBeGreaterThan(DOCUMENT_LIMIT);
    expect(body.length).toBeLessThan(server.config.bodyLimitBytes);

    const error = expectApiError(await sendText(alice, "PUT", ME, body), 413, "payload_too_large");
    expect(error.details).toMatchObject({ limit: DOCUMENT_LIMIT });
    await expectUnchanged();
  });

  it("refuses a PATCH that grows the document over 256 KiB as 413 payload_too_large", async () => {
    const ops = Object.entries(bigNotes()).map(([id, value]) => ({
      op: "add",
      path: `/widgets/${id}`,
      value,
    }));
    const body = JSON.stringify({ baseRev: 2, ops });
    expect(body.length).toBeLessThan(server.config.bodyLimitBytes);

    const error = expectApiError(await sendText(alice, "PATCH", ME, body), 413, "payload_too_large");
    expect(error.details).toMatchObject({ limit: DOCUMENT_LIMIT });
    await expectUnchanged();
  });
});

describe("JSON bodies", () => {
  it("refuses 100-deep nesting as 422 invalid (the JSON depth limit)", async () => {
    const deep = `${"[".repeat(100)}${"]".repeat(100)}`;
    const body = `{"baseRev":2,"ops":[{"op":"replace","path":"/widgets/w1/props/markdown","value":${deep}}]}`;
    expect(() => JSON.parse(body)).not.toThrow();

    const error = expectApiError(await sendText(alice, "PATCH", ME, body), 422, "invalid");
    expect(error.details).toEqual({ limit: server.config.maxJsonDepth });
    await expectUnchanged();
  });

  it("refuses 100-deep nesting of objects inside a PUT widget body as 422 invalid", async () => {
    const deep = `${'{"a":'.repeat(100)}1${"}".repeat(100)}`;
    const body = `{"type":"note","title":"deep","props":{"markdown":"x"},"source":{"kind":"mcp","server":"s","tool":"t","args":${deep}}}`;
    const error = expectApiError(
      await sendText(alice, "PUT", "/api/dashboards/me/widgets/w1", body),
      422,
      "invalid",
    );
    expect(error.details).toEqual({ limit: server.config.maxJsonDepth });
    await expectUnchanged();
  });

  it("refuses __proto__ as a key inside a PATCH value as 422 invalid, without polluting prototypes", async () => {
    const body =
      '{"baseRev":2,"ops":[{"op":"add","path":"/widgets/w3","value":{"__proto__":{"polluted":"yes"},' +
      '"id":"w3","type":"note","title":"w3","props":{"markdown":"x"},"status":"ready",' +
      '"updatedAt":"2026-01-01T00:00:00Z","updatedBy":"test"}}]}';
    const error = expectApiError(await sendText(alice, "PATCH", ME, body), 422, "invalid");
    expect(error.details).toMatchObject({ path: expect.stringContaining("__proto__") });
    expectPrototypeClean();
    await expectUnchanged();
  });

  it("refuses __proto__ at the top of a body and inside widget props as 422 invalid", async () => {
    const top = '{"__proto__":{"isAdmin":true},"baseRev":2,"ops":[{"op":"remove","path":"/widgets/w1"}]}';
    expectApiError(await sendText(alice, "PATCH", ME, top), 422, "invalid");
    const inProps = '{"type":"note","title":"n","props":{"markdown":"x","__proto__":{"isAdmin":true}}}';
    expectApiError(await sendText(alice, "PUT", "/api/dashboards/me/widgets/w1", inProps), 422, "invalid");
    const inState =
      '{"baseRev":2,"state":{"schemaVersion":1,"layout":{"columns":12,"items":[]},"widgets":{},' +
      '"preferences":{"constructor":{"prototype":{"isAdmin":true}}}}}';
    expectApiError(await sendText(alice, "PUT", ME, inState), 422, "invalid");
    expectPrototypeClean();
    await expectUnchanged();
  });

  it("refuses malformed JSON as 400 bad_request", async () => {
    for (const body of ['{"baseRev":2,"ops":[', "{baseRev:2}", '{"baseRev":2}}', "\u0000"]) {
      expectApiError(await sendText(alice, "PATCH", ME, body), 400, "bad_request");
    }
    await expectUnchanged();
  });

  it.each([
    "application/xml",
    "text/plain",
    "text/plain; charset=utf-8",
    "application/x-www-form-urlencoded",
  ])("refuses a valid patch sent as %s as 415 unsupported_media_type", async (contentType) => {
    const body = JSON.stringify({ baseRev: 2, ops: [{ op: "remove", path: "/widgets/w1" }] });
    const result = await sendText(alice, "PATCH", ME, body, contentType);
    const error = expectApiError(result, 415, "unsupported_media_type");
    expect(error.message).toContain("application/json");
    await expectUnchanged();
  });

  it("refuses a text/plain body to every JSON route as 415, not as a schema violation", async () => {
    const text = { authorization: `Bearer ${alice.token}`, "content-type": "text/plain" };
    for (const [method, path] of [
      ["PUT", "/api/dashboards/me/widgets/w1"],
      ["PUT", ME],
      ["POST", "/api/approvals"],
      ["POST", "/api/auth/session"],
    ] as const) {
      const result = await server.raw(method, path, { headers: text, body: '{"title":"x"}' });
      expectApiError(result, 415, "unsupported_media_type");
    }
    await expectUnchanged();
  });

  it("refuses a PATCH of 501 ops as 422 invalid, while 500 are accepted", async () => {
    const op = (i: number) => ({ op: "replace", path: "/widgets/w1/title", value: `t${i}` });
    const tooMany = await alice.request("PATCH", ME, {
      baseRev: 2,
      ops: Array.from({ length: 501 }, (_, i) => op(i)),
    });
    expectApiError(tooMany, 422, "invalid");
    await expectUnchanged();

    const atLimit = await alice.request("PATCH", ME, {
      baseRev: 2,
      ops: Array.from({ length: 500 }, (_, i) => op(i)),
    });
    expect(atLimit).toEqual({ status: 200, body: { rev: 3 } });
  });

  it("answers a PATCH or PUT with baseRev ahead of the document with 409 conflict", async () => {
    const patched = await alice.request("PATCH", ME, {
      baseRev: 3,
      ops: [{ op: "replace", path: "/widgets/w1/title", value: "from the future" }],
    });
    expect(expectApiError(patched, 409, "conflict").details).toMatchObject({ rev: 2 });
    const current = JSON.parse(before.me) as { state: unknown };
    const put = await alice.request("PUT", ME, { baseRev: 7, state: current.state });
    expect(expectApiError(put, 409, "conflict").details).toMatchObject({ rev: 2 });
    await expectUnchanged();
  });
});

describe("request size", () => {
  it("refuses a body over AGENTBOARD_BODY_LIMIT_BYTES as 413 payload_too_large", async () => {
    const small = await startTestServer({ AGENTBOARD_BODY_LIMIT_BYTES: "2048" });
    try {
      const bob = await small.caller({ name: "bob" });
      expect((await bob.request("PUT", "/api/dashboards/me/widgets/n", noteWidget("small"))).status).toBe(
        200,
      );
      const read = async () => (await bob.request("GET", "/api/dashboards/me/state")).body as unknown;
      const seeded = await read();

      const fits = noteWidget("y".repeat(1500));
      expect(JSON.stringify(fits).length).toBeLessThan(2048);
      const tooBig = noteWidget("y".repeat(3000));
      expect(JSON.stringify(tooBig).length).toBeGreaterThan(2048);

      const refused = await bob.request("PUT", "/api/dashboards/me/widgets/n", tooBig);
      expectApiError(refused, 413, "payload_too_large");
      expect(await read()).toEqual(seeded);

      // The same request under the limit goes through: the 413 was about bytes, nothing else.
      expect((await bob.request("PUT", "/api/dashboards/me/widgets/n", fits)).status).toBe(200);
    } finally {
      await small.close();
    }
  });
});

describe("authentication comes before the body", () => {
  // Fastify reads and validates bodies after onRequest hooks: an anonymous caller must learn nothing about
  // the route's schema (no 400/415/422, no details) and cost no parsing.
  const anonymous = [
    ["no credentials", {}],
    ["a session cookie that is not valid", { cookie: "agentboard_session=not-a-session" }],
  ] as const;
  const badBodies = [
    ["a body that breaks the schema", "application/json", JSON.stringify({ baseRev: "x", ops: "nope" })],
    ["malformed JSON", "application/json", '{"baseRev":2,"ops":['],
    ["a text/plain body", "text/plain", "remove everything"],
    ["a form body", "application/x-www-form-urlencoded", "baseRev=2"],
    ["100-deep nesting", "application/json", `${"[".repeat(100)}${"]".repeat(100)}`],
  ] as const;

  for (const [who, credentials] of anonymous) {
    it.each(badBodies)(`answers ${who} sending %s with 401 only`, async (_name, contentType, body) => {
      for (const [method, path] of [
        ["PATCH", ME],
        ["PUT", "/api/dashboards/me/widgets/w1"],
        ["POST", "/api/approvals"],
        ["POST", "/api/approvals/bulk"],
        ["POST", "/api/realtime/ticket"],
      ] as const) {
        const result = await server.raw(method, path, {
          headers: { ...credentials, "content-type": contentType },
          body,
        });
        const error = expectApiError(result, 401, "unauthorized");
        expect(error.details, `${method} ${path}`).toBeUndefined();
      }
      await expectUnchanged();
    });
  }

  it("still validates the body of the public sign-in route", async () => {
    const headers = { "content-type": "application/json" };
    const invalid = await server.raw("POST", "/api/auth/session", { headers, body: '{"password":"x"}' });
    expectApiError(invalid, 422, "invalid");
    const malformed = await server.raw("POST", "/api/auth/session", { headers, body: "{" });
    expectApiError(malformed, 400, "bad_request");
    const wrong = await server.raw("POST", "/api/auth/session", {
      headers,
      body: JSON.stringify({ token: "ab_not-a-token" }),
    });
    expectApiError(wrong, 401, "unauthorized");
  });
});

describe("who may read and write", () => {
  it("refuses a wrong bearer token as 401 unauthorized", async () => {
    const wrong = { authorization: `Bearer ab_${"A".repeat(43)}`, "content-type": "application/json" };
    expectApiError(await server.raw("GET", ME, { headers: wrong }), 401, "unauthorized");
    const body = JSON.stringify({ baseRev: 1, ops: [{ op: "remove", path: "/widgets/t1" }] });
    expectApiError(await server.raw("PATCH", TEAM, { headers: wrong, body }), 401, "unauthorized");
    expectApiError(
      await server.raw("GET", ME, { headers: { authorization: "Bearer" } }),
      401,
      "unauthorized",
    );
    expectApiError(await server.raw("DELETE", TEAM), 401, "unauthorized");
    await expectUnchanged();
  });

  /** Reading, patching, deleting or writing a widget of alice's personal dashboard: each answers the error. */
  async function expectAlicesDashboardRefuses(caller: Caller, status: number, code: string) {
    const dashboard = `/api/dashboards/user:${alice.principal.id}`;
    const removeW1 = { baseRev: 2, ops: [{ op: "remove", path: "/widgets/w1" }] };
    expectApiError(await caller.request("GET", `${dashboard}/state`), status, code);
    expectApiError(await caller.request("PATCH", `${dashboard}/state`, removeW1), status, code);
    expectApiError(await caller.request("DELETE", `${dashboard}/state`), status, code);
    expectApiError(await caller.request("PUT", `${dashboard}/widgets/w1`, noteWidget("x")), status, code);
  }

  it("answers a token of another workspace asking for user:<id of a workspace-A user> with 404", async () => {
    await expectAlicesDashboardRefuses(
      await server.caller({ name: "carol", workspace: "other" }),
      404,
      "not_found",
    );
    const robot = await server.caller({ kind: "agent", name: "other-robot", workspace: "other" });
    await expectAlicesDashboardRefuses(robot, 404, "not_found");
    await expectUnchanged();
  });

  it("keeps one shared slug apart per workspace", async () => {
    const carol = await server.caller({ name: "carol", workspace: "other" });
    const theirs = await carol.request("GET", TEAM);
    expect(theirs.status).toBe(200);
    expect(theirs.body).toMatchObject({
      rev: 0,
      updatedAt: null,
      state: { widgets: {}, layout: { items: [] } },
    });

    // Writing "team" in workspace B creates B's own document and leaves A's alone.
    expect(
      await carol.request("PATCH", TEAM, {
        baseRev: 0,
        ops: [{ op: "add", path: "/widgets/b1", value: storedNote("b1") }],
      }),
    ).toEqual({
      status: 200,
      body: { rev: 1 },
    });
    expect(await carol.request("DELETE", TEAM)).toMatchObject({ status: 204 });
    const after = await carol.request("GET", TEAM);
    expect(after.body).toMatchObject({ rev: 2, state: { widgets: {} } });
    await expectUnchanged();
  });

  it("answers another user of the same workspace reading or writing a personal dashboard with 403", async () => {
    await expectAlicesDashboardRefuses(await server.caller({ name: "bob" }), 403, "forbidden");
    await expectUnchanged();
  });

  it("answers a viewer's writes with 403 forbidden (reads stay allowed)", async () => {
    const vera = await server.caller({ name: "vera", role: "viewer" });
    expect((await vera.request("GET", TEAM)).status).toBe(200);
    expectApiError(
      await vera.request("PATCH", TEAM, { baseRev: 1, ops: [{ op: "remove", path: "/widgets/t1" }] }),
      403,
      "forbidden",
    );
    expectApiError(
      await vera.request("PUT", "/api/dashboards/team/widgets/t1", noteWidget("x")),
      403,
      "forbidden",
    );
    expectApiError(await vera.request("DELETE", "/api/dashboards/team/widgets/t1"), 403, "forbidden");
    expectApiError(await vera.request("DELETE", TEAM), 403, "forbidden");
    expectApiError(
      await vera.request("PUT", ME, { baseRev: 0, state: JSON.parse(before.team).state }),
      403,
      "forbidden",
    );
    await expectUnchanged();
  });

  it('answers an agent without the "dashboards:write" scope with 403 forbidden', async () => {
    const robot = await server.caller({ kind: "agent", name: "reader-robot", scopes: [] });
    expect((await robot.request("GET", TEAM)).status).toBe(200);
    const personal = `/api/dashboards/user:${alice.principal.id}`;
    expectApiError(await robot.request("PUT", `${personal}/widgets/w9`, noteWidget("x")), 403, "forbidden");
    expectApiError(
      await robot.request("PATCH", `${personal}/state`, {
        baseRev: 2,
        ops: [{ op: "remove", path: "/widgets/w1" }],
      }),
      403,
      "forbidden",
    );
    expectApiError(await robot.request("DELETE", `${personal}/widgets/w1`), 403, "forbidden");
    expectApiError(await robot.request("DELETE", TEAM), 403, "forbidden");
    await expectUnchanged();
  });
});
