import type { FastifyInstance } from "fastify";

/** Response headers a cross-origin front-end needs to read: MCP's session id, auth challenges, rate limits. */
const EXPOSED_HEADERS = [
  "Mcp-Session-Id",
  "Mcp-Protocol-Version",
  "WWW-Authenticate",
  "Retry-After",
  "X-RateLimit-Limit",
  "X-RateLimit-Remaining",
  "X-RateLimit-Reset",
].join(", ");

const ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE";

/**
 * What a front-end on another origin calls. The web app's own files are not among them: they are never
 * fetched cross-origin, and `Vary: Origin` on them would keep its service worker's cached shell from
 * matching: a reload with the server down would show nothing.
 */
const CORS_PATHS = ["/api/", "/mcp", "/a2a", "/.well-known/"];

/** Browsers may cache a preflight answer this long (seconds): one preflight per route and ten minutes. */
const PREFLIGHT_MAX_AGE_S = 600;

/**
 * CORS on the API routes for the browser origins the server already trusts: the public URL's and
 * AGENTBOARD_ALLOWED_ORIGINS.
 * A front-end served from one of them (a CopilotKit app calling the AG-UI stream, a page of its own calling
 * the API, an MCP client in a browser) may call the server with a bearer token and read the answers. Those
 * origins may already send cookie-authenticated writes, so credentials are allowed too.
 *
 * Any other Origin gets no CORS headers at all, so a browser keeps it from reading anything; the server's own
 * Origin checks (cookie-authenticated writes, `/mcp`) are unchanged. The headers go on the raw response
 * first thing, so errors (a 401 before the route runs) and routes that write the raw response themselves
 * (`/mcp`, the AG-UI stream) carry them too. A preflight (`OPTIONS` with `Access-Control-Request-Method`)
 * from a trusted origin is answered here, before authentication: it carries no credentials by design.
 */
export function registerCors(app: FastifyInstance, allowedOrigins: () => ReadonlySet<string>): void {
  app.addHook("onRequest", async (request, reply) => {
    const origin = request.headers.origin;
    if (typeof origin !== "string" || !CORS_PATHS.some((path) => request.url.startsWith(path))) return;
    // The answer depends on Origin, so a cache must not hand one origin's answer to another.
    reply.raw.setHeader("Vary", "Origin");
    if (!allowedOrigins().has(origin)) return;
    reply.raw.setHeader("Access-Control-Allow-Origin", origin);
    reply.raw.setHeader("Access-Control-Allow-Credentials", "true");
    reply.raw.setHeader("Access-Control-Expose-Headers", EXPOSED_HEADERS);
    if (request.method !== "OPTIONS" || request.headers["access-control-request-method"] === undefined)
      return;
    const requested = request.headers["access-control-request-headers"];
    reply.raw.setHeader("Access-Control-Allow-Methods", ALLOWED_METHODS);
    // The origin is trusted, so whatever headers its requests carry are allowed (Authorization among them).
    if (typeof requested === "string" && requested.length > 0)
      reply.raw.setHeader("Access-Control-Allow-Headers", requested);
    reply.raw.setHeader("Access-Control-Max-Age", String(PREFLIGHT_MAX_AGE_S));
    return reply.code(204).send();
  });
}
