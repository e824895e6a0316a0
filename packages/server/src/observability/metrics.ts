import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import {
  createMetricsKeyVerifier,
  extractMetricsKey,
  FailedKeyLimiter,
  normalizeMetricsKeys,
} from "./metrics-auth.js";

declare module "fastify" {
  interface FastifyInstance {
    /** This app's metrics registry; capabilities register their own metrics here. */
    metricsRegistry: Registry;
  }
}

export interface MetricsOptions {
  /** Accepted scrape keys (e.g. `parseMetricsKeys(process.env.AGENTBOARD_METRICS_KEYS)`); blanks are ignored. */
  keys: string[];
  /** With no key configured, production hides `/metrics` (404) while development leaves it open. */
  production: boolean;
  /** Registry to use instead of a fresh one. The caller owns it: on close only our metrics are removed. */
  registry?: Registry;
}

/**
 * A gauge of what this node holds open (MCP sessions, AG-UI runs): `count` is read when /metrics is scraped,
 * so it never drifts, and the gauge leaves the app's registry when the app closes.
 */
export function registerOpenCountGauge(
  app: FastifyInstance,
  name: string,
  help: string,
  count: () => number,
) {
  new Gauge({
    name,
    help,
    registers: [app.metricsRegistry],
    collect() {
      this.set(count());
    },
  });
  app.addHook("onClose", async () => {
    app.metricsRegistry.removeSingleMetric(name);
  });
}

export const HTTP_REQUEST_DURATION_METRIC = "agentboard_http_request_duration_seconds";

/** Route label of every request that matched no route, so random URLs cannot add label values. */
export const UNMATCHED_ROUTE = "unmatched";

/** Wrong metrics keys one client IP may present per minute before it gets 429 (see FailedKeyLimiter). */
export const METRICS_KEY_FAILURES_PER_MINUTE = 10;

// API latencies: 5 ms for cheap reads up to 10 s for slow agent/MCP round trips; long polls land in +Inf.
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

let processMetrics: Registry | undefined;

/**
 * Node's default metrics (standard unprefixed names such as `process_cpu_seconds_total`) live in ONE private
 * registry per process, created on first use. prom-client 15's collectDefaultMetrics starts a GC
 * PerformanceObserver and an event-loop-delay monitor that it offers no way to stop, so calling it per app
 * would leak one of each for every app a test suite creates. They describe the process, not an app, anyway.
 * It is never prom-client's global registry, which other libraries in the process may also write to.
 */
function processMetricsRegistry(): Registry {
  if (processMetrics === undefined) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

/**
 * Adds request-duration metrics and `GET /metrics` to `app`. Call it on the ROOT instance before registering
 * plugins: hooks added to the root reach every route and the 404 handler, whereas inside a plugin they
 * would stay encapsulated.
 */
export function registerMetrics(app: FastifyInstance, options: MetricsOptions): void {
  const ownsRegistry = options.registry === undefined;
  const registry = options.registry ?? new Registry();
  const defaults = processMetricsRegistry();

  const requestDuration = new Histogram({
    name: HTTP_REQUEST_DURATION_METRIC,
    help: "HTTP request duration in seconds, by method, route template and status code.",
    labelNames: ["method", "route", "status_code"] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });

  app.decorate("metricsRegistry", registry);

  // reply.elapsedTime runs from Fastify's own start mark (taken before onRequest hooks) to the response's
  // 'finish', so onResponse alone covers the full span without per-request state. The label is the route
  // TEMPLATE, never the raw URL: ids and query strings would make label cardinality unbounded.
  app.addHook("onResponse", (request, reply, done) => {
    const route = request.is404 ? UNMATCHED_ROUTE : (request.routeOptions.url ?? UNMATCHED_ROUTE);
    requestDuration.observe(
      { method: request.method, route, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });

  app.addHook("onClose", (_instance, done) => {
    if (ownsRegistry) {
      registry.clear();
    } else {
      registry.removeSingleMetric(HTTP_REQUEST_DURATION_METRIC);
    }
    done();
  });

  const keys = normalizeMetricsKeys(options.keys);
  const verify = createMetricsKeyVerifier(keys);
  const hidden = keys.length === 0 && options.production;
  const open = keys.length === 0 && !options.production;
  // /metrics is registered before the app's rate limiter (and exempt from it on purpose: a scraper must not
  // share a budget with API callers), so failed keys get their own limit.
  const failedKeys = new FailedKeyLimiter({
    maxFailures: METRICS_KEY_FAILURES_PER_MINUTE,
    windowMs: 60_000,
    maxClients: 10_000,
  });

  // Scrapes are timed too (route "/metrics" is one fixed label value): their latency and a burst of 401s
  // from someone guessing keys are both worth seeing.
  app.get("/metrics", async (request: FastifyRequest, reply: FastifyReply) => {
    if (hidden) {
      // Worded like Fastify's not-found message and sent without extra headers, so the endpoint reads as
      // absent rather than locked. Keep it in step with the app's not-found handler if that differs.
      return reply
        .code(404)
        .send({ error: "not_found", message: `Route ${request.method}:${request.url} not found` });
    }
    // Metrics reveal internals; no proxy or browser cache should keep a copy (or a 401 for a later retry).
    reply.header("cache-control", "no-store");
    // A valid key is served even from an address over its failure budget: see FailedKeyLimiter for why.
    if (!open && !verify(extractMetricsKey(request.headers))) {
      const blockedMs = failedKeys.blockedFor(request.ip);
      if (blockedMs > 0) {
        const seconds = Math.ceil(blockedMs / 1000);
        return reply
          .code(429)
          .header("retry-after", String(seconds))
          .send({
            error: "rate_limited",
            message: "too many wrong metrics keys from this address; retry later",
            details: { retryAfterMs: seconds * 1000 },
          });
      }
      failedKeys.recordFailure(request.ip);
      return reply.code(401).header("www-authenticate", 'Bearer realm="agentboard-metrics"').send({
        error: "unauthorized",
        message: "A valid metrics key is required (Authorization: Bearer <key> or X-Metrics-Key: <key>)",
      });
    }
    // Merged per scrape so metrics that capabilities add after start-up are included; merge also refuses
    // an app metric that reuses a default metric's name instead of emitting it twice.
    const merged = Registry.merge([defaults, registry]);
    return reply.type(merged.contentType).send(await merged.metrics());
  });
}
