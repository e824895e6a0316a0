import crypto from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import { register as globalRegistry, Registry } from "prom-client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { HTTP_REQUEST_DURATION_METRIC, type MetricsOptions, registerMetrics } from "./metrics.js";
import {
  createMetricsKeyVerifier,
  digestKey,
  extractMetricsKey,
  FailedKeyLimiter,
  normalizeMetricsKeys,
  parseMetricsKeys,
} from "./metrics-auth.js";

const KEY_A = "metrics-key-aaaaaaaaaaaaaaaaaaaa";
const KEY_B = "metrics-key-bbbbbbbbbbbbbbbbbbbb";
// Same length as KEY_A, so a length check alone could not reject it.
const WRONG_SAME_LENGTH = "metrics-key-zzzzzzzzzzzzzzzzzzzz";

const apps: FastifyInstance[] = [];

function buildApp(options: MetricsOptions): FastifyInstance {
  const app = Fastify();
  registerMetrics(app, options);
  app.get("/api/things/:id", async (request) => ({ id: (request.params as { id: string }).id }));
  apps.push(app);
  return app;
}

/** GET /metrics on `app` with `headers` (the key, one way or another). */
const scrape = (app: FastifyInstance, headers: Record<string, string>) =>
  app.inject({ method: "GET", url: "/metrics", headers });

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

describe("GET /metrics auth", () => {
  it("answers 401 with the contract error shape when no key is presented", async () => {
    const app = buildApp({ keys: [KEY_A], production: true });
    const res = await app.inject({ method: "GET", url: "/metrics" });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toEqual({ error: "unauthorized", message: expect.any(String) });
    expect(res.headers["www-authenticate"]).toMatch(/^Bearer /);
  });

  it("answers 401 for a wrong key of the same length as a valid one, in either header", async () => {
    const app = buildApp({ keys: [KEY_A, KEY_B], production: true });
    expect(WRONG_SAME_LENGTH).toHaveLength(KEY_A.length);
    const bearer = await scrape(app, { authorization: `Bearer ${WRONG_SAME_LENGTH}` });
    const header = await scrape(app, { "x-metrics-key": WRONG_SAME_LENGTH });
    expect(bearer.statusCode).toBe(401);
    expect(header.statusCode).toBe(401);
    expect(bearer.json().error).toBe("unauthorized");
  });

  it("accepts either of two configured keys, via Bearer and via X-Metrics-Key, and labels by route template", async () => {
    const app = buildApp({ keys: [KEY_A, KEY_B], production: true });
    expect((await app.inject({ method: "GET", url: "/api/things/1" })).statusCode).toBe(200);
    expect((await app.inject({ method: "GET", url: "/api/things/2?x=y" })).statusCode).toBe(200);

    const viaBearer = await scrape(app, { authorization: `bearer ${KEY_A}` });
    const viaHeader = await scrape(app, { "x-metrics-key": KEY_B });

    for (const res of [viaBearer, viaHeader]) {
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toMatch(/^text\/plain/);
      expect(res.body).toContain("process_cpu_seconds_total");
    }
    const body = viaHeader.body;
    // Both ids land on one series: the template, never the raw URL.
    expect(body).toMatch(
      /agentboard_http_request_duration_seconds_bucket\{[^}]*route="\/api\/things\/:id"[^}]*\}/,
    );
    expect(body).toMatch(
      /agentboard_http_request_duration_seconds_count\{method="GET",route="\/api\/things\/:id",status_code="200"\} 2/,
    );
    expect(body).not.toContain("/api/things/1");
    expect(body).not.toContain("/api/things/2");
  });

  it("hides /metrics with 404 not_found in production when no key is configured", async () => {
    const app = buildApp({ keys: [" ", ""], production: true });
    const res = await app.inject({ method: "GET", url: "/metrics", headers: { "x-metrics-key": " " } });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: "not_found", message: expect.any(String) });
  });

  it("leaves /metrics open in development when no key is configured", async () => {
    const app = buildApp({ keys: [], production: false });
    const res = await app.inject({ method: "GET", url: "/metrics" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("process_cpu_seconds_total");
  });

  it("still requires a key in development once one is configured", async () => {
    const app = buildApp({ keys: [KEY_A], production: false });
    expect((await app.inject({ method: "GET", url: "/metrics" })).statusCode).toBe(401);
  });
});

describe("request duration histogram", () => {
  it("labels requests that match no route as unmatched", async () => {
    const app = buildApp({ keys: [], production: false });
    for (const url of ["/nope/1", "/nope/2", "/totally/random/path"]) {
      expect((await app.inject({ method: "GET", url })).statusCode).toBe(404);
    }
    const body = (await app.inject({ method: "GET", url: "/metrics" })).body;
    expect(body).toMatch(
      /agentboard_http_request_duration_seconds_count\{method="GET",route="unmatched",status_code="404"\} 3/,
    );
    expect(body).not.toContain("/nope");
    expect(body).not.toContain("/totally");
  });

  it("exposes the registry so capabilities can add metrics served by /metrics", async () => {
    const app = buildApp({ keys: [], production: false });
    const { Counter } = await import("prom-client");
    new Counter({
      name: "agentboard_test_things_total",
      help: "test",
      registers: [app.metricsRegistry],
    }).inc();
    expect((await app.inject({ method: "GET", url: "/metrics" })).body).toContain(
      "agentboard_test_things_total 1",
    );
  });
});

describe("registries and lifecycle", () => {
  it("gives two apps in one process their own registry, and both close cleanly", async () => {
    const first = Fastify();
    const second = Fastify();
    registerMetrics(first, { keys: [], production: false });
    registerMetrics(second, { keys: [], production: false });
    first.get("/api/first", async () => "ok");

    expect(first.metricsRegistry).not.toBe(second.metricsRegistry);
    expect(first.metricsRegistry).not.toBe(globalRegistry);
    await first.inject({ method: "GET", url: "/api/first" });

    const firstBody = (await first.inject({ method: "GET", url: "/metrics" })).body;
    const secondBody = (await second.inject({ method: "GET", url: "/metrics" })).body;
    expect(firstBody).toContain('route="/api/first"');
    expect(secondBody).not.toContain('route="/api/first"');
    expect(secondBody).toContain("process_cpu_seconds_total");
    expect(await globalRegistry.getSingleMetric(HTTP_REQUEST_DURATION_METRIC)).toBeUndefined();

    await first.close();
    await second.close();
    expect(first.metricsRegistry.getMetricsAsArray()).toHaveLength(0);
    expect(second.metricsRegistry.getMetricsAsArray()).toHaveLength(0);
  });

  it("removes only its own metric from a caller-supplied registry on close", async () => {
    const registry = new Registry();
    const app = Fastify();
    registerMetrics(app, { keys: [], production: false, registry });
    expect(app.metricsRegistry).toBe(registry);
    const { Gauge } = await import("prom-client");
    new Gauge({ name: "caller_owned", help: "kept", registers: [registry] });

    await app.close();
    expect(registry.getSingleMetric(HTTP_REQUEST_DURATION_METRIC)).toBeUndefined();
    expect(registry.getSingleMetric("caller_owned")).toBeDefined();
  });
});

describe("createMetricsKeyVerifier", () => {
  it("compares with timingSafeEqual against every configured key, even when the first matches", () => {
    const verify = createMetricsKeyVerifier(["first-key", "second-key", "third-key"]);
    const spy = vi.spyOn(crypto, "timingSafeEqual");

    for (const [candidate, expected] of [
      ["first-key", true],
      ["third-key", true],
      ["wrong-key", false],
      ["wrong", false],
      [undefined, false],
      ["", false],
    ] as const) {
      spy.mockClear();
      expect(verify(candidate)).toBe(expected);
      expect(spy).toHaveBeenCalledTimes(3);
      for (const [a, b] of spy.mock.calls) {
        // Fixed-length digests, whatever the candidate's length.
        expect((a as Buffer).length).toBe(32);
        expect((b as Buffer).length).toBe(32);
      }
    }
  });

  it("ignores blank keys and refuses everything when none remain", () => {
    const verify = createMetricsKeyVerifier(["", "  ", "\t"]);
    expect(verify("")).toBe(false);
    expect(verify(" ")).toBe(false);
    expect(verify(undefined)).toBe(false);
    expect(createMetricsKeyVerifier([" padded "])("padded")).toBe(true);
  });

  it("digests with SHA-256", () => {
    expect(digestKey("abc").toString("hex")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });
});

describe("extractMetricsKey", () => {
  it("reads a Bearer token with a case-insensitive scheme", () => {
    expect(extractMetricsKey({ authorization: "Bearer k1" })).toBe("k1");
    expect(extractMetricsKey({ authorization: "bEaReR   k2" })).toBe("k2");
  });

  it("falls back to X-Metrics-Key when Authorization is not Bearer", () => {
    expect(extractMetricsKey({ "x-metrics-key": "k3" })).toBe("k3");
    expect(extractMetricsKey({ authorization: "Basic Zm9vOmJhcg==", "x-metrics-key": "k4" })).toBe("k4");
  });

  it("treats absent, empty and repeated values as no key", () => {
    expect(extractMetricsKey({})).toBeUndefined();
    expect(extractMetricsKey({ authorization: "Bearer " })).toBeUndefined();
    expect(extractMetricsKey({ authorization: "Bearerk5" })).toBeUndefined();
    expect(extractMetricsKey({ "x-metrics-key": "  " })).toBeUndefined();
    expect(extractMetricsKey({ "x-metrics-key": ["a", "b"] })).toBeUndefined();
  });
});

describe("parseMetricsKeys", () => {
  it("splits AGENTBOARD_METRICS_KEYS on commas and drops blanks", () => {
    expect(parseMetricsKeys("old-key, new-key,")).toEqual(["old-key", "new-key"]);
    expect(parseMetricsKeys(undefined)).toEqual([]);
    expect(parseMetricsKeys(" , ")).toEqual([]);
    expect(normalizeMetricsKeys([" a ", ""])).toEqual(["a"]);
  });
});

describe("FailedKeyLimiter", () => {
  const limiter = (maxClients = 100) => {
    let now = 1_000;
    const subject = new FailedKeyLimiter({ maxFailures: 3, windowMs: 60_000, maxClients, now: () => now });
    return { subject, advance: (ms: number) => (now += ms) };
  };

  it("blocks a client after maxFailures until its window ends, and no other client", () => {
    const { subject, advance } = limiter();
    for (let i = 0; i < 3; i++) {
      expect(subject.blockedFor("10.0.0.1")).toBe(0);
      subject.recordFailure("10.0.0.1");
    }
    expect(subject.blockedFor("10.0.0.1")).toBe(60_000);
    expect(subject.blockedFor("10.0.0.2")).toBe(0);
    advance(59_999);
    expect(subject.blockedFor("10.0.0.1")).toBe(1);
    advance(1);
    expect(subject.blockedFor("10.0.0.1")).toBe(0);
    subject.recordFailure("10.0.0.1");
    expect(subject.blockedFor("10.0.0.1")).toBe(0);
  });

  it("tracks at most maxClients, dropping ended windows first and then the oldest", () => {
    const { subject, advance } = limiter(2);
    subject.recordFailure("a");
    advance(30_000);
    subject.recordFailure("b");
    subject.recordFailure("c");
    expect(subject.size).toBe(2);
    for (let i = 0; i < 3; i++) subject.recordFailure("b");
    expect(subject.blockedFor("b")).toBeGreaterThan(0);
    advance(60_000);
    subject.recordFailure("d");
    subject.recordFailure("e");
    expect(subject.size).toBe(2);
  });
});
