import type { Agent } from "@agentboard/protocol";
import {
  connect,
  eventually,
  startTestServer,
  type TestServer,
  type WsClient,
} from "@agentboard/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cardJson, type FixtureServer, listen } from "./a2a-fixtures.js";

const TIMEOUT_MS = 400;
type Mode = "ok" | "hang" | "fail";

/**
 * The health prober (issue 16 step 3): sweeps driven explicitly through `app.agentProber.sweep()`, results
 * read over `GET /api/agents`, the `subscribe_agents` channel, `/readyz` and the metrics.
 */
describe("agent health prober", () => {
  let server: TestServer;
  let fixtures: FixtureServer;
  let socket: WsClient;
  /** What each fixture agent does at its next probe, by agent number. */
  const modes = new Map<number, Mode>();
  const ids = new Map<number, string>();
  /** Card requests the fixture got, hung requests still open, and the most of those open at once. */
  const seen = { requests: 0, hungOpen: 0, hungOpenMax: 0 };
  let admin: Awaited<ReturnType<TestServer["caller"]>>;

  beforeAll(async () => {
    server = await startTestServer({
      AGENTBOARD_AGENTS_ALLOW_PRIVATE_NETWORK: "true",
      AGENTBOARD_AGENT_PROBE_TIMEOUT_MS: String(TIMEOUT_MS),
      // Far off: only the test's explicit sweeps run.
      AGENTBOARD_AGENT_PROBE_INTERVAL_MS: "3600000",
    });
    fixtures = await listen((req, res) => {
      const n = Number(/^\/agent-(\d+)\//.exec(req.url ?? "")?.[1]);
      const mode = modes.get(n) ?? "ok";
      seen.requests++;
      if (mode === "hang") {
        // Never answers: the prober gives up at its timeout and closes the request.
        seen.hungOpenMax = Math.max(seen.hungOpenMax, ++seen.hungOpen);
        req.once("close", () => seen.hungOpen--);
        return;
      }
      if (mode === "fail") {
        res.statusCode = 503;
        res.end();
        return;
      }
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(cardJson(`agent ${n}`, fixtures.url)));
    });
    admin = await server.caller({ name: "ada", role: "admin" });
    for (let n = 0; n < 50; n++) {
      const created = await admin.request("POST", "/api/agents", {
        cardUrl: `${fixtures.url}/agent-${n}/.well-known/agent-card.json`,
      });
      expect(created.status).toBe(201);
      ids.set(n, created.body.id);
    }
    socket = await connect(server, admin);
    const id = socket.send({ type: "subscribe_agents" });
    const subscribed = await socket.next("subscribed_agents", (frame) => frame.id === id);
    expect(subscribed.agents.filter((agent) => agent.kind === "a2a")).toHaveLength(50);
  });
  afterAll(async () => {
    await socket?.close();
    await server?.close();
    await fixtures?.close();
  });

  const sweep = (at?: Date) => server.app.agentProber.sweep({ at });
  const statusOf = async (n: number): Promise<Agent> => {
    const listed = await admin.request("GET", "/api/agents");
    return listed.body.items.find((agent: Agent) => agent.id === ids.get(n));
  };
  /** Every `agent` frame up to a marker edit: frames of one socket arrive in order, so none is missed. */
  let marker = 0;
  const framesUntilMarker = async () => {
    const name = `marker ${++marker}`;
    await admin.request("PATCH", `/api/agents/${ids.get(0)}`, { displayName: name });
    const frames: { event: string; agent: Agent }[] = [];
    for (;;) {
      const frame = await socket.next("agent");
      if (frame.event === "updated" && frame.agent.displayName === name) return frames;
      frames.push(frame);
    }
  };

  it("sweeps 50 agents, 5 of them hung, in about one timeout", async () => {
    for (const n of [10, 11, 12, 13, 14]) modes.set(n, "hang");
    Object.assign(seen, { requests: 0, hungOpenMax: 0 });
    const result = await sweep();
    expect(result).toMatchObject({ swept: true, probed: 50 });
    // Every agent was asked within this one sweep, and the five hung probes were in flight together, so
    // the sweep waited one timeout for them, not five (bench:mesh-sweep measures the time).
    expect(seen.requests).toBe(50);
    expect(seen.hungOpenMax).toBe(5);
    // Each of them was given up (its request closed), none left open behind the sweep.
    await eventually(
      () => seen.hungOpen,
      (open) => open === 0,
    );
    await sweep();
    const healthy = await statusOf(20);
    expect(healthy.status).toBe("healthy");
    expect(healthy.latencyMs).toBeGreaterThanOrEqual(0);
    // Two failures after registering: not yet unhealthy (hysteresis).
    expect((await statusOf(10)).status).toBe("unknown");
    await sweep();
    expect((await statusOf(10)).status).toBe("unhealthy");
    const frames = await framesUntilMarker();
    const unhealthy = frames.filter((f) => f.event === "status" && f.agent.status === "unhealthy");
    expect(unhealthy.map((f) => f.agent.id).sort()).toEqual(
      [10, 11, 12, 13, 14].map((n) => ids.get(n)).sort(),
    );

    const ready = await server.raw("GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body.components.mesh).toMatchObject({ status: "degraded", agents: { unhealthy: 5 } });

    // Metrics: three sweeps of 50 probes, 15 of them failed; the gauge follows the last sweep.
    const metrics = await eventually(
      () => server.app.metricsRegistry.metrics(),
      (text) => text.includes('agentboard_agents{status="unhealthy"} 5'),
    );
    expect(metrics).toContain('agentboard_agent_probes_total{outcome="failed"} 15');
    expect(metrics).toContain('agentboard_agent_probes_total{outcome="ok"} 135');
    expect(metrics).toContain("agentboard_agent_sweep_duration_seconds_count 3");
    expect(metrics).toContain('agentboard_agents{status="healthy"} 45');
  });

  it("backs off dead agents, and a recovered one turns healthy after 2 successes", async () => {
    for (const n of [10, 11, 12, 13, 14]) modes.set(n, "ok");
    // Within the backoff the dead agents are not probed at all.
    expect((await sweep()).probed).toBe(45);
    const later = new Date(Date.now() + 2 * 3_600_000);
    await sweep(later);
    expect((await statusOf(10)).status).toBe("unhealthy");
    await sweep(later);
    expect((await statusOf(10)).status).toBe("healthy");
    const frames = await framesUntilMarker();
    expect(frames.filter((f) => f.agent.id === ids.get(10)).map((f) => f.agent.status)).toEqual(["healthy"]);
    const ready = await server.raw("GET", "/readyz");
    expect(ready.body.components.mesh.status).toBe("ok");
  });

  it("does not flap for an agent that fails every other probe", async () => {
    await framesUntilMarker();
    for (let round = 0; round < 8; round++) {
      modes.set(30, round % 2 === 0 ? "fail" : "ok");
      await sweep();
    }
    // One change (healthy → degraded) and no more: never unhealthy, never back and forth.
    const frames = (await framesUntilMarker()).filter((f) => f.agent.id === ids.get(30));
    expect(frames.map((f) => f.agent.status)).toEqual(["degraded"]);
    expect((await statusOf(30)).status).toBe("degraded");
  });
});
