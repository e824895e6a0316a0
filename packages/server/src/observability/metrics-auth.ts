// Default import on purpose: calls go through the module object (`crypto.timingSafeEqual`) at call time, so
// tests can spy on the real comparison instead of a look-alike.
import crypto from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/** SHA-256 of a key. Comparing digests gives every comparison the same length (32 bytes). */
export function digestKey(key: string): Buffer {
  return crypto.createHash("sha256").update(key, "utf8").digest();
}

/**
 * Splits `AGENTBOARD_METRICS_KEYS` (comma-separated, so an old and a new key can overlap during rotation).
 * Entries are trimmed and empty ones dropped, so `"a, b,"` is two keys and `" "` is none.
 */
export function parseMetricsKeys(raw: string | undefined): string[] {
  return normalizeMetricsKeys((raw ?? "").split(","));
}

/** Trims configured keys and drops blank ones; a blank key must never make the endpoint accept "". */
export function normalizeMetricsKeys(keys: readonly string[]): string[] {
  return keys.map((key) => key.trim()).filter((key) => key.length > 0);
}

/**
 * Returns a checker for presented metrics keys. Configured keys are digested once here; each check digests
 * the candidate and compares it with `timingSafeEqual` against EVERY configured digest without stopping at
 * a match, so response time reveals neither which key matched nor how early. A missing or empty candidate
 * runs the same loop and is then refused. With no usable keys every candidate is refused; whether the
 * endpoint is then open or hidden is the caller's decision, not this function's.
 */
export function createMetricsKeyVerifier(
  keys: readonly string[],
): (candidate: string | undefined) => boolean {
  const digests = normalizeMetricsKeys(keys).map(digestKey);
  return (candidate) => {
    const presented = digestKey(candidate ?? "");
    let matched = false;
    for (const digest of digests) {
      // Non-short-circuiting OR: the comparison always runs.
      matched = crypto.timingSafeEqual(presented, digest) || matched;
    }
    return matched && candidate !== undefined && candidate.length > 0;
  };
}

const BEARER = /^bearer[ \t]+(.+)$/i;

/**
 * The metrics key a scraper presented: `Authorization: Bearer <key>` (scheme case-insensitive) or else
 * `X-Metrics-Key: <key>`. A non-Bearer Authorization header (e.g. Basic added by a proxy) does not hide an
 * X-Metrics-Key. Repeated headers are ambiguous and count as absent. Keys are never read from the query
 * string, which ends up in access logs.
 */
export function extractMetricsKey(headers: IncomingHttpHeaders): string | undefined {
  const authorization = single(headers.authorization);
  if (authorization !== undefined) {
    const token = BEARER.exec(authorization)?.[1]?.trim();
    if (token) return token;
  }
  const headerKey = single(headers["x-metrics-key"])?.trim();
  return headerKey ? headerKey : undefined;
}

function single(value: string | string[] | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export interface FailedKeyLimiterOptions {
  /** Wrong keys one client may present per window; the next ones are refused unseen. */
  maxFailures: number;
  windowMs: number;
  /** Clients tracked at once; at the cap the oldest window is dropped, so memory stays bounded. */
  maxClients: number;
  now?: () => number;
}

/**
 * Counts wrong metrics keys per client (its IP) in fixed windows. Only failures count and only failures are
 * refused: a request with a valid key is served before this limiter is asked, even from an IP that is over
 * its budget. That is deliberate. Behind a NAT or a reverse proxy (Fastify's request.ip is then the proxy)
 * the scraper shares its address with whoever guesses, and locking the address would let any guesser blind
 * the monitoring. The cost: a correct guess is still recognised while the address is limited, so the limit
 * does not make guessing slower; what stops guessing is the key itself (at least 16 characters, checked at
 * start; docs/api.md asks for random ones). What the limit buys: a guessing run is cut to cheap 429s, which
 * show up as `status_code="429"` on the `/metrics` route, instead of an unbounded stream of 401s.
 */
export class FailedKeyLimiter {
  private readonly windows = new Map<string, { failures: number; endsAt: number }>();
  private readonly now: () => number;

  constructor(private readonly options: FailedKeyLimiterOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Milliseconds until `client` may present a key again after its failures; 0 when it may now. */
  blockedFor(client: string): number {
    const window = this.windowOf(client);
    if (!window || window.failures < this.options.maxFailures) return 0;
    return window.endsAt - this.now();
  }

  recordFailure(client: string): void {
    const window = this.windowOf(client);
    if (window) {
      window.failures += 1;
      return;
    }
    if (this.windows.size >= this.options.maxClients) this.evict();
    this.windows.set(client, { failures: 1, endsAt: this.now() + this.options.windowMs });
  }

  /** How many clients are tracked (for tests of the bound). */
  get size(): number {
    return this.windows.size;
  }

  private windowOf(client: string): { failures: number; endsAt: number } | undefined {
    const window = this.windows.get(client);
    if (window && window.endsAt <= this.now()) {
      this.windows.delete(client);
      return undefined;
    }
    return window;
  }

  /** Drops ended windows; if none had ended, the oldest one (Map order is insertion order). */
  private evict(): void {
    const now = this.now();
    for (const [client, window] of this.windows) {
      if (window.endsAt <= now) this.windows.delete(client);
    }
    if (this.windows.size >= this.options.maxClients) {
      const oldest = this.windows.keys().next();
      if (!oldest.done) this.windows.delete(oldest.value);
    }
  }
}
