import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { notFound } from "../errors/agentboard-errors.js";

/** The web app's build in a checkout (packages/web/dist): always the current one while developing. */
const CHECKOUT_WEB_DIST = fileURLToPath(new URL("../../../web/dist/", import.meta.url));
/** The copy of that build an installed package carries (put into dist/web-app by `npm pack`'s prepack). */
const PACKAGED_WEB_DIST = fileURLToPath(new URL("../web-app/", import.meta.url));

/** The built web app: the checkout's own build when there is one, else the copy this package ships with. */
export const DEFAULT_WEB_DIST = existsSync(join(CHECKOUT_WEB_DIST, "index.html"))
  ? CHECKOUT_WEB_DIST
  : PACKAGED_WEB_DIST;

/** Only these types are served; anything else in dist stays private. */
const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".json": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

/** A dist larger than this is a mistake (a stray build artefact), not something to hold in memory. */
const MAX_FILES = 500;
const MAX_TOTAL_BYTES = 32 * 1024 * 1024;

/**
 * Scripts, styles, images and connections from this origin only; no inline script or style elements and no
 * style attributes in markup (React sets styles through CSSOM, which this allows); no plugins, no framing,
 * no <base> rewriting, forms post only here.
 */
export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export const SECURITY_HEADERS = {
  "content-security-policy": WEB_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
};

/** Paths the app itself never owns: unknown ones there are API 404s, not the app's index page. */
const SERVER_PREFIXES = ["/api/", "/docs", "/metrics", "/healthz", "/readyz"];

interface WebFile {
  body: Buffer;
  contentType: string;
  etag: string;
  cacheControl: string;
}

function cacheControlFor(path: string): string {
  // Hashed names under /assets/ never change content. The HTML and the service worker must be revalidated
  // every time, or a deploy would not reach browsers.
  if (path.startsWith("/assets/")) return "public, max-age=31536000, immutable";
  if (path === "/index.html" || path === "/sw.js") return "no-cache";
  return "public, max-age=3600";
}

/** Reads every servable file of `distDir` once; requests are answered from memory, never from the disk. */
export function loadWebFiles(distDir: string): Map<string, WebFile> {
  const files = new Map<string, WebFile>();
  let total = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      // The MCP Apps widget view (dist/mcp-app) is served on /mcp as a resource, not to browsers here.
      if (entry.isDirectory() && dir === distDir && entry.name === "mcp-app") continue;
      if (entry.isDirectory()) {
        walk(full);
        continue;
      }
      const contentType = CONTENT_TYPES[extname(entry.name).toLowerCase()];
      if (!entry.isFile() || !contentType) continue;
      const body = readFileSync(full);
      total += body.byteLength;
      if (files.size >= MAX_FILES || total > MAX_TOTAL_BYTES) {
        throw new Error(
          `the web app in ${distDir} is larger than ${MAX_FILES} files / ${MAX_TOTAL_BYTES} bytes`,
        );
      }
      const path = `/${relative(distDir, full).split(sep).join("/")}`;
      const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
      files.set(path, { body, contentType, etag, cacheControl: cacheControlFor(path) });
    }
  };
  walk(distDir);
  return files;
}

function send(request: FastifyRequest, reply: FastifyReply, file: WebFile) {
  reply.headers(SECURITY_HEADERS).header("cache-control", file.cacheControl).header("etag", file.etag);
  if (request.headers["if-none-match"] === file.etag) return reply.status(304).send();
  return reply.type(file.contentType).send(file.body);
}

export interface WebAppOptions {
  /** Defaults to DEFAULT_WEB_DIST. */
  distDir?: string;
}

/**
 * Serves the built React app at `/`: its files from memory with a fixed content-type map, cache headers and
 * ETags, and `index.html` for client routes (`/inbox`, `/d/team`, …) so a reload on any page works. Returns
 * false (and registers nothing) when there is no build, so the caller can fall back.
 */
export function registerWebApp(app: FastifyInstance, options: WebAppOptions = {}): boolean {
  const distDir = options.distDir ?? DEFAULT_WEB_DIST;
  if (!existsSync(join(distDir, "index.html")) || !statSync(distDir).isDirectory()) return false;
  const files = loadWebFiles(distDir);
  const index = files.get("/index.html");
  if (!index) return false;

  const route = { schema: { hide: true }, config: { rateLimit: false } } as const;
  app.get("/", route, async (request, reply) => send(request, reply, index));
  app.get("/*", route, async (request, reply) => {
    const path = request.url.split("?")[0] ?? "/";
    const file = files.get(path);
    if (file) return send(request, reply, file);
    if (SERVER_PREFIXES.some((prefix) => path === prefix.replace(/\/$/, "") || path.startsWith(prefix))) {
      throw notFound(`no route for ${request.method} ${path}`);
    }
    // A client route has no file extension; a missing file with one is a real 404 (a stale asset URL).
    if (extname(path) !== "") throw notFound(`no file ${path}`);
    return send(request, reply, index);
  });
  return true;
}
