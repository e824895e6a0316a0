import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { SECURITY_HEADERS, WEB_CSP } from "./web-app.js";

/**
 * The one inline `<style>` Swagger UI renders: the colours of the logo in its top bar
 * (swagger-ui-standalone-preset.js of @fastify/swagger-ui; a server test checks the file still holds it).
 */
export const SWAGGER_UI_INLINE_STYLE =
  ".logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}";

/**
 * The web app's policy, with that one style allowed by its hash. Everything else Swagger UI needs already
 * fits: its scripts, styles and spec come from this origin, its icons are data: images, and React sets
 * element styles through the CSSOM, which CSP does not govern. No 'unsafe-inline' for scripts or styles.
 * e2e/browser/extremes-and-docs.test.ts renders /docs under it and fails on any violation.
 */
export const DOCS_CSP = WEB_CSP.replace(
  "style-src 'self'",
  `style-src 'self' 'sha256-${createHash("sha256").update(SWAGGER_UI_INLINE_STYLE).digest("base64")}'`,
);

const DOCS_SECURITY_HEADERS = { ...SECURITY_HEADERS, "content-security-policy": DOCS_CSP };

/**
 * Gives everything under /docs (Swagger UI, its static assets, /docs/json, and 404s there) the app's
 * security headers: that CSP, no framing, nosniff, no referrer. A root onRequest hook, because the plugin's
 * static assets come from a nested @fastify/static that its own `uiHooks` option does not reach.
 */
export function registerDocsSecurityHeaders(app: FastifyInstance): void {
  app.addHook("onRequest", async (request, reply) => {
    const path = request.url.split("?")[0] ?? "";
    if (path === "/docs" || path.startsWith("/docs/")) reply.headers(DOCS_SECURITY_HEADERS);
  });
}
