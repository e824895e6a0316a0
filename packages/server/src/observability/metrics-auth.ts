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
