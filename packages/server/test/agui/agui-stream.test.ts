import type { BaseEvent, RunFinishedEvent, StateDeltaEvent, StateSnapshotEvent } from "@ag-ui/core";
import { type Caller, noteWidget, startTestServer, type TestServer } from "@agentboard/test-support";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type AguiStream, ofType, openAgui, runInput } from "./agui-helpers.js";

let server: TestServer;
let alice: Caller;
let bob: Caller;
let bot: Caller;
let viewer: Caller;
let stranger: Caller;
const open: AguiStream[] = [];

beforeAll(async () => {
  // A short heartbeat, so the test sees one without waiting half a minute.
  server = await startTestServer({ AGENTBOARD_WS_HEARTBEAT_MS: "1000" });
  alice = await server.caller({ name: "alice" });
  bob = await server.caller({ name: "bob" });
  viewer = await server.caller({ name: "vic", role: "viewer" });
  bot = await server.caller({ kind: "agent", name: "bot" });
  stranger = await server.caller({ name: "eve", workspace: "elsewhere" });
});
afterEach(async () => {
  for (const stream of open.splice(0)) stream.close();
  // Nothing stays pending across tests: each starts with an empty inbox.
  const pending = await alice.request("GET", "/api/approvals?status=pending&limit=100");
  for (const approval of pending.body.items) await bot.request("DELETE", `/api/approvals/${approval.id}`);
});
afterAll(async () => server?.close());

const bearer = (caller: Caller) => ({ authorization: `Bearer ${caller.token}` });

async function follow(caller: Caller, dashboardId: string, body: unknown = runInput()) {
  const stream = await openAgui(server.url, dashboardId, body, bearer(caller));
  open.push(stream);
  return stream;
}

/** The last op of a delta: ours always moves `/rev` on. */
const lastOp = (event: StateDeltaEvent) => event.delta.at(-1) as { value?: unknown } | undefined;

/** Every event of the stream validated against @ag-ui/core's schemas. */
function expectValid(stream: AguiStream): void {
  expect(stream.invalid).toEqual([]);
}

async function requestApproval(title = "Deploy v2") {
  const created = await bot.request("POST", "/api/approvals", {
    type: "deploy",
    title,
    action: { tool: "deploy" },
  });
  expect(created.status).toBe(201);
  return created.body as { id: string; status: string };
}

describe("POST /api/agui/:dashboardId", () => {
  it("streams RUN_STARTED, the document as STATE_SNAPSHOT with its rev, then one STATE_DELTA per change in rev order", async () => {
    await bot.request("PUT", "/api/dashboards/ops/widgets/w1", noteWidget("one"));
    const stream = await follow(alice, "ops");
    // A second run on the same dashboard: the change is encoded once for both (a shared frame).
    const second = await follow(viewer, "ops");
    await second.next(ofType("STATE_SNAPSHOT"));
    expect(stream.status).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    const snapshot = (await stream.next(ofType("STATE_SNAPSHOT"))) as StateSnapshotEvent;
    expect(stream.events[0]).toMatchObject({ type: "RUN_STARTED", protocolVersion: "1.0" });
    const document = (await alice.request("GET", "/api/dashboards/ops/state")).body;
    expect(snapshot.snapshot).toEqual({ ...document.state, dashboardId: "ops", rev: document.rev });

    for (const markdown of ["two", "three"]) {
      await bob.request("PATCH", "/api/dashboards/ops/state", {
        baseRev: (await bob.request("GET", "/api/dashboards/ops/state")).body.rev,
        ops: [{ op: "replace", path: "/widgets/w1/props/markdown", value: markdown }],
      });
    }
    const deltas: StateDeltaEvent[] = [];
    for (const rev of [document.rev + 1, document.rev + 2]) {
      deltas.push(
        (await stream.next(
          (event) => event.type === "STATE_DELTA" && lastOp(event as StateDeltaEvent)?.value === rev,
        )) as StateDeltaEvent,
      );
    }
    expect(deltas[0]!.delta[0]).toEqual({ op: "test", path: "/rev", value: document.rev });
    expect(deltas[0]!.delta).toContainEqual({
      op: "replace",
      path: "/widgets/w1/props/markdown",
      value: "two",
    });
    expect(deltas[1]!.delta.at(-1)).toEqual({ op: "replace", path: "/rev", value: document.rev + 2 });
    expect(stream.events.filter(ofType("STATE_DELTA"))).toHaveLength(2);
    expectValid(stream);
    await second.next(
      (event) => event.type === "STATE_DELTA" && lastOp(event as StateDeltaEvent)?.value === document.rev + 2,
    );
    expect(second.events.filter(ofType("STATE_DELTA"))).toEqual(deltas);
    expectValid(second);
  });

  it("resumes from the rev of a state it sent: only the changes since, no snapshot", async () => {
    await bot.request("PUT", "/api/dashboards/resume/widgets/w1", noteWidget("a"));
    const first = (await bot.request("GET", "/api/dashboards/resume/state")).body;
    await bot.request("PUT", "/api/dashboards/resume/widgets/w2", noteWidget("b"));
    const stream = await follow(
      alice,
      "resume",
      runInput({
        state: { ...first.state, dashboardId: "resume", rev: first.rev },
        forwardedProps: { agentboard: { follow: false } },
      }),
    );
    const finished = (await stream.next(ofType("RUN_FINISHED"))) as RunFinishedEvent;
    expect(stream.events.map((event) => event.type)).toEqual(["RUN_STARTED", "STATE_DELTA", "RUN_FINISHED"]);
    expect(finished.outcome).toEqual({ type: "success" });
    expect(finished.result).toEqual({ rev: first.rev + 1 });
    expectValid(stream);

    // Another dashboard's state (or none) is no position: that run starts from a snapshot.
    const other = await follow(
      alice,
      "resume",
      runInput({
        state: { dashboardId: "elsewhere", rev: first.rev },
        forwardedProps: { agentboard: { follow: false } },
      }),
    );
    await other.ended;
    expect(other.events.map((event) => event.type)).toEqual([
      "RUN_STARTED",
      "STATE_SNAPSHOT",
      "RUN_FINISHED",
    ]);
  });

  it("keeps a quiet stream alive with SSE comment heartbeats", async () => {
    const stream = await follow(alice, "quiet");
    await stream.next(ofType("STATE_SNAPSHOT"));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no heartbeat within 10 s")), 10_000);
      const poll = setInterval(() => {
        if (stream.comments === 0) return;
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      }, 50);
    });
    expect(stream.events.map((event) => event.type)).toEqual(["RUN_STARTED", "STATE_SNAPSHOT"]);
  });

  it("ends the run with the caller's pending approvals as interrupts (interruptId = approval id)", async () => {
    const approval = await requestApproval();
    const stream = await follow(alice, "me");
    await stream.ended;
    const finished = stream.events.at(-1) as RunFinishedEvent;
    expect(stream.events.map((event) => event.type)).toEqual([
      "RUN_STARTED",
      "STATE_SNAPSHOT",
      "RUN_FINISHED",
    ]);
    expect(finished.outcome).toMatchObject({
      type: "interrupt",
      interrupts: [
        {
          id: approval.id,
          reason: "approval",
          message: "Deploy v2",
          metadata: { approval: { id: approval.id } },
        },
      ],
    });
    expectValid(stream);

    // Those who cannot decide it (the requester, a viewer) are not interrupted: their run follows the board.
    for (const caller of [bot, viewer]) {
      const following = await follow(
        caller,
        "ops",
        runInput({ forwardedProps: { agentboard: { follow: false } } }),
      );
      await following.ended;
      expect((following.events.at(-1) as RunFinishedEvent).outcome).toEqual({ type: "success" });
    }
  });

  it("ends a followed run when an approval arrives for the caller", async () => {
    const stream = await follow(alice, "me");
    await stream.next(ofType("STATE_SNAPSHOT"));
    const approval = await requestApproval("Late one");
    const finished = (await stream.next(ofType("RUN_FINISHED"))) as RunFinishedEvent;
    expect(finished.outcome).toMatchObject({ type: "interrupt", interrupts: [{ id: approval.id }] });
    await stream.ended;
    expectValid(stream);
  });

  it("a resume decides the approvals through the inbox's rules; set-aside ones are not raised again", async () => {
    const first = await requestApproval("First");
    const second = await requestApproval("Second");
    const stream = await follow(
      alice,
      "me",
      runInput({
        resume: [
          { interruptId: first.id, status: "resolved", payload: { decision: "reject", reason: "not today" } },
          { interruptId: second.id, status: "cancelled" },
        ],
        forwardedProps: { agentboard: { follow: false } },
      }),
    );
    await stream.ended;
    expect((stream.events.at(-1) as RunFinishedEvent).outcome).toEqual({ type: "success" });
    expect((await alice.request("GET", `/api/approvals/${first.id}`)).body).toMatchObject({
      status: "rejected",
      reason: "not today",
      decidedBy: { kind: "user", id: alice.principal.id },
    });
    expect((await alice.request("GET", `/api/approvals/${second.id}`)).body.status).toBe("pending");
    expectValid(stream);
  });
});

describe("bad input", () => {
  it("answers 401 without credentials, before reading the body", async () => {
    const stream = await openAgui(server.url, "ops", "not even json", {});
    expect(stream.status).toBe(401);
    expect(stream.body).toMatchObject({ error: "unauthorized" });
  });

  it("answers 400 in the error style for a body that is no RunAgentInput", async () => {
    for (const body of [
      {},
      { threadId: "t", runId: "r" },
      { ...runInput(), messages: "nope" },
      [],
      runInput({ forwardedProps: { agentboard: { follow: "yes" } } }),
    ]) {
      const stream = await follow(alice, "ops", body);
      expect(stream.status, JSON.stringify(body)).toBe(400);
      expect(stream.body).toMatchObject({ error: "bad_request", message: expect.any(String) });
    }
  });

  it("refuses a dashboard the caller may not read, like REST (403, or 404 for another workspace's user)", async () => {
    expect((await follow(bob, `user:${alice.principal.id}`)).status).toBe(403);
    expect((await follow(stranger, `user:${alice.principal.id}`)).status).toBe(404);
  });

  it("accepts the web session cookie from the app's own origin; signing out ends the run", async () => {
    const { secret } = await server.runtime.identity.issueSecret(alice.principal, "session");
    const cookie = { cookie: `agentboard_session=${secret}` };
    const stream = await openAgui(server.url, "me", runInput(), { ...cookie, origin: server.url });
    open.push(stream);
    expect(stream.status).toBe(200);
    await stream.next(ofType("STATE_SNAPSHOT"));
    expect(
      (await openAgui(server.url, "me", runInput(), { ...cookie, origin: "https://evil.example" })).status,
    ).toBe(403);

    const signedOut = await server.raw("DELETE", "/api/auth/session", {
      headers: { ...cookie, origin: server.url },
    });
    expect(signedOut.status).toBeLessThan(300);
    const ended = await stream.next(ofType("RUN_ERROR"));
    expect(ended).toMatchObject({ code: "unauthorized" });
    await stream.ended;
    expectValid(stream);
  });

  it("a resume it cannot carry out is a RUN_ERROR, and nothing is decided", async () => {
    const mine = await requestApproval("Mine");
    const otherBot = await server.caller({ kind: "agent", name: "far-bot", workspace: "elsewhere" });
    const theirs = (
      await otherBot.request("POST", "/api/approvals", {
        type: "deploy",
        title: "Theirs",
        action: { tool: "x" },
      })
    ).body as { id: string };
    const resumes: Array<[Caller, unknown[], string]> = [
      // Another workspace's approval, next to one the caller could decide: neither is decided.
      [
        alice,
        [
          { interruptId: mine.id, status: "resolved", payload: { decision: "approve" } },
          { interruptId: theirs.id, status: "resolved", payload: { decision: "approve" } },
        ],
        "not_found",
      ],
      [bot, [{ interruptId: mine.id, status: "resolved", payload: { decision: "approve" } }], "forbidden"],
      [viewer, [{ interruptId: mine.id, status: "resolved", payload: { decision: "approve" } }], "forbidden"],
      [alice, [{ interruptId: mine.id, status: "resolved", payload: { decision: "maybe" } }], "invalid"],
      [alice, [{ interruptId: mine.id, status: "resolved" }], "invalid"],
    ];
    for (const [caller, resume, code] of resumes) {
      const stream = await follow(caller, "ops", runInput({ resume }));
      await stream.ended;
      expect(stream.events.map((event: BaseEvent) => event.type)).toEqual(["RUN_STARTED", "RUN_ERROR"]);
      expect(stream.events[1]).toMatchObject({ code });
      expectValid(stream);
    }
    expect((await alice.request("GET", `/api/approvals/${mine.id}`)).body.status).toBe("pending");
    expect((await otherBot.request("GET", `/api/approvals/${theirs.id}`)).body.status).toBe("pending");
  });
});

describe("shutdown", () => {
  it("ends open runs with RUN_ERROR unavailable, and the server closes", async () => {
    const own = await startTestServer();
    try {
      const carol = await own.caller({ name: "carol" });
      const stream = await openAgui(own.url, "me", runInput(), bearer(carol));
      await stream.next(ofType("STATE_SNAPSHOT"));
      expect(own.app.aguiRuns.size).toBe(1);
      expect((await own.raw("GET", "/metrics")).body).toMatch(/^agentboard_agui_open_runs 1$/m);
      const closing = own.app.close();
      expect(await stream.next(ofType("RUN_ERROR"))).toMatchObject({ code: "unavailable" });
      await stream.ended;
      await closing;
      expect(own.app.aguiRuns.size).toBe(0);
    } finally {
      await own.close().catch(() => {});
    }
  });
});
