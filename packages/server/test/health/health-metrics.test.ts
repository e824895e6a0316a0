import { get as httpGet } from "node:http";
import {
  expectApiError,
  expectNoStackTrace,
  startTestServer,
  type TestServer,
} from "@agentboard/test-support";
import { afterEach, describe, expect, it } from "vitest";
import { METRICS_KEY_FAILURES_PER_MINUTE } from "../../src/observability/metrics.js";

// Each test starts the server it needs (different env); afterEach closes whatever is still open.
let server: TestServer | undefined;

async function start(env: Record<string, string> = {}): Promise<TestServer> {
  server = await startTestServer(env);
  return server;
}

afterEach(async () => {
  const open = server;
  server = undefined;
  await open?.close();
});

/** GET /metrics from a given local source address (Linux routes all of 127/8 to loopback). */
function statusFrom(localAddress: string, url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpGet(`${url}/metrics`, { localAddress, headers }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("error", reject);
  });
}

const KEY_ONE = "scrape-key-one-0123456789";
const KEY_TWO = "scrape-key-two-abcdefghijklmnop";
/** Same length as KEY_ONE, one character off. */
const WRONG_KEY = "scrape-key-one-0123456788";
const BUCKET = "agentboard_http_request_duration_seconds_bucket";
const STATE_ROUTE = 'route="/api/dashboards/:id/state"';

describe("/healthz and /readyz", () => {
  it("/healthz answers 200 {status: ok} without credentials", async () => {
    const s = await start();
    const result = await s.raw("GET", "/healthz");
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ status: "ok" });
  });

  it("/readyz answers 200 with the sqlite component ok", async () => {
    const s = await start();
    const result = await s.raw("GET", "/readyz");
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ status: "ok", components: { sqlite: { status: "ok" } } });
    expect(typeof result.body.components.sqlite.latencyMs).toBe("number");
    expect(result.body.components.sqlite.error).toBeUndefined();
  });

  it("/readyz answers 503 with sqlite down and its error once the store is closed, /healthz stays 200", async () => {
    const s = await start();
    expect((await s.raw("GET", "/readyz")).status).toBe(200);

    await s.runtime.sqlite.close();
    const result = await s.raw("GET", "/readyz");
    expect(result.status).toBe(503);
    expect(result.body).toMatchObject({
      status: "unavailable",
      components: { sqlite: { status: "down", error: expect.any(String) } },
    });
    expect(result.body.components.sqlite.error.length).toBeGreaterThan(0);
    expectNoStackTrace(result.body);
    expect((await s.raw("GET", "/healthz")).status).toBe(200);

    // Closing the server after its store is already closed must still succeed.
    server = undefined;
    await expect(s.close()).resolves.toBeUndefined();
  });

  it("an API request while the store is down is a 5xx contract error without a stack trace", async () => {
    const s = await start({ NODE_ENV: "production" });
    const alice = await s.caller({ name: "alice" });
    await s.runtime.sqlite.close();
    const result = await alice.request("GET", "/api/dashboards/me/state");
    expect(result.status).toBeGreaterThanOrEqual(500);
    expectApiError(result, result.status, result.body.error);
    // Production says nothing about the cause.
    expect(result.body.message).not.toMatch(/destroyed|sqlite|driver/i);
  });

  // contract.md "Errors": a backing store that is down is 503 `unavailable`, not a 500.
  it("an API request while the store is down is 503 unavailable", async () => {
    const s = await start();
    const alice = await s.caller({ name: "alice" });
    await s.runtime.sqlite.close();
    expectApiError(await alice.request("GET", "/api/dashboards/me/state"), 503, "unavailable");
  });
});

describe("/metrics", () => {
  it("with two keys configured: no key 401, a wrong key of the same length 401, either key 200", async () => {
    const s = await start({ AGENTBOARD_METRICS_KEYS: `${KEY_ONE},${KEY_TWO}` });
    expect(WRONG_KEY).toHaveLength(KEY_ONE.length);
    expect(WRONG_KEY).not.toBe(KEY_ONE);

    const none = await s.raw("GET", "/metrics");
    expectApiError(none, 401, "unauthorized");
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect(none.headers.get("cache-control")).toBe("no-store");

    const wrongHeaders: Record<string, string>[] = [
      { authorization: `Bearer ${WRONG_KEY}` },
      { "x-metrics-key": WRONG_KEY },
      { authorization: `Basic ${Buffer.from(`x:${KEY_ONE}`).toString("base64")}` },
      { authorization: `Bearer ${KEY_ONE}${KEY_TWO}` },
      { authorization: `Bearer ${KEY_ONE.slice(0, -1)}` },
    ];
    for (const headers of wrongHeaders) {
      expectApiError(await s.raw("GET", "/metrics", { headers }), 401, "unauthorized");
    }
    // Keys are never read from the query string (it ends up in access logs).
    expectApiError(await s.raw("GET", `/metrics?key=${KEY_ONE}`), 401, "unauthorized");

    const one = await s.raw("GET", "/metrics", { headers: { authorization: `Bearer ${KEY_ONE}` } });
    expect(one.status).toBe(200);
    expect(one.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(one.headers.get("cache-control")).toBe("no-store");

    const two = await s.raw("GET", "/metrics", { headers: { "x-metrics-key": KEY_TWO } });
    expect(two.status).toBe(200);
    expect(two.body).toContain("# TYPE agentboard_http_request_duration_seconds histogram");
  });

  it("counts dashboard requests under the route template, never the raw URL", async () => {
    const s = await start({ AGENTBOARD_METRICS_KEYS: `${KEY_ONE},${KEY_TWO}` });
    const alice = await s.caller({ name: "alice" });
    for (let i = 0; i < 3; i++)
      expect((await alice.request("GET", "/api/dashboards/me/state")).status).toBe(200);
    expect((await alice.request("GET", `/api/dashboards/user:${alice.principal.id}/state`)).status).toBe(200);

    const scrape = async () => {
      const result = await s.raw("GET", "/metrics", { headers: { "x-metrics-key": KEY_TWO } });
      expect(result.status).toBe(200);
      return result.body as string;
    };
    /** The +Inf bucket of GET 200 on the state route: the number of such requests observed. */
    const observed = (text: string) => {
      const line = text
        .split("\n")
        .find(
          (l) =>
            l.startsWith(BUCKET) &&
            l.includes(STATE_ROUTE) &&
            l.includes('method="GET"') &&
            l.includes('status_code="200"') &&
            l.includes('le="+Inf"'),
        );
      return line === undefined ? undefined : Number(line.split(" ").at(-1));
    };
    // onResponse records after the reply is flushed, so the last request may land a moment after its answer.
    await expect.poll(async () => observed(await scrape())).toBe(4);
    const text = await scrape();
    expect(text).toMatch(new RegExp(`^${BUCKET}\\{[^}]*${STATE_ROUTE}[^}]*\\} \\d+$`, "m"));
    expect(text).not.toContain('route="/api/dashboards/me/state"');
    expect(text).not.toContain(alice.principal.id);
  });

  it("answers wrong keys from one address with 429 after 10 a minute, while a valid key keeps working", async () => {
    const s = await start({ AGENTBOARD_METRICS_KEYS: KEY_ONE });
    const wrong = { authorization: `Bearer ${WRONG_KEY}` };
    for (let i = 0; i < METRICS_KEY_FAILURES_PER_MINUTE; i++) {
      expectApiError(await s.raw("GET", "/metrics", { headers: wrong }), 401, "unauthorized");
    }
    const refused: Record<string, string>[] = [wrong, { "x-metrics-key": WRONG_KEY }, {}];
    for (const headers of refused) {
      const limited = await s.raw("GET", "/metrics", { headers });
      const error = expectApiError(limited, 429, "rate_limited");
      const seconds = Number(limited.headers.get("retry-after"));
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThanOrEqual(60);
      expect(error.details).toEqual({ retryAfterMs: seconds * 1000 });
    }
    // The scraper behind the same address (a NAT, a proxy) is not locked out by the guesser.
    const scrape = async () => {
      const result = await s.raw("GET", "/metrics", { headers: { authorization: `Bearer ${KEY_ONE}` } });
      expect(result.status).toBe(200);
      return result.body as string;
    };
    // The refusals are visible to the operator; onResponse may record the last one just after its answer.
    // Read the histogram's _count: a bucket line (le comes first) would count only the fast refusals.
    await expect
      .poll(
        async () => /_count\{[^}]*route="\/metrics",status_code="429"\} (\d+)$/m.exec(await scrape())?.[1],
      )
      .toBe("3");
    // The budget is per address: another loopback address still gets plain 401s.
    expect(await statusFrom("127.0.0.2", s.url, wrong)).toBe(401);
  });

  it("is 404 in production when no key is configured", async () => {
    // Production demands nothing else of this setup: the host is loopback and metrics are not asked public.
    const s = await start({ NODE_ENV: "production" });
    expect(s.config.nodeEnv).toBe("production");
    expect(s.config.metricsKeys).toEqual([]);
    const result = await s.raw("GET", "/metrics");
    expectApiError(result, 404, "not_found");
    expect(result.headers.get("www-authenticate")).toBeNull();
    // Not even a key-looking header opens it.
    expectApiError(
      await s.raw("GET", "/metrics", { headers: { authorization: `Bearer ${KEY_ONE}` } }),
      404,
      "not_found",
    );
  });

  it("in production with a key configured it needs the key", async () => {
    const s = await start({ NODE_ENV: "production", AGENTBOARD_METRICS_KEYS: KEY_ONE });
    expectApiError(await s.raw("GET", "/metrics"), 401, "unauthorized");
    expect((await s.raw("GET", "/metrics", { headers: { authorization: `Bearer ${KEY_ONE}` } })).status).toBe(
      200,
    );
  });

  it("is open in development when no key is configured", async () => {
    const s = await start({ NODE_ENV: "development" });
    const result = await s.raw("GET", "/metrics");
    expect(result.status).toBe(200);
    expect(result.body).toContain("agentboard_http_request_duration_seconds");
  });
});
