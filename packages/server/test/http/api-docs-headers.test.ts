import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { startTestServer, type TestServer } from "@agentboard/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DOCS_CSP, SWAGGER_UI_INLINE_STYLE } from "../../src/web/docs-security.js";
import { SECURITY_HEADERS, WEB_CSP } from "../../src/web/web-app.js";

// Swagger UI at /docs is served by a plugin; these are the headers the web app's own pages get.
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server.close());

describe("/docs security headers", () => {
  it.each([
    ["the UI", "/docs", /text\/html/],
    ["the UI with a trailing slash", "/docs/", /text\/html/],
    ["the OpenAPI document", "/docs/json", /application\/json/],
    ["the YAML document", "/docs/yaml", /yaml/],
    ["the initializer script", "/docs/static/swagger-initializer.js", /javascript/],
    ["a bundled script", "/docs/static/swagger-ui-bundle.js", /javascript/],
    ["a stylesheet", "/docs/static/swagger-ui.css", /text\/css/],
    ["an image", "/docs/static/favicon-32x32.png", /image\/png/],
    ["a missing asset", "/docs/static/nope.js", /json/],
  ])("are set on %s (%s)", async (_name, path, contentType) => {
    const result = await server.raw("GET", path);
    expect(result.status).toBe(path.endsWith("nope.js") ? 404 : 200);
    expect(result.headers.get("content-type")).toMatch(contentType);
    for (const [name, value] of Object.entries({
      ...SECURITY_HEADERS,
      "content-security-policy": DOCS_CSP,
    })) {
      expect(result.headers.get(name), `${name} on ${path}`).toBe(value);
    }
    const csp = result.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/style-src 'self' 'sha256-[A-Za-z0-9+/]{43}='(;|$)/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(result.headers.get("x-frame-options")).toBe("DENY");
    expect(result.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("differs from the web app's policy only by the hash of the one inline style Swagger UI renders", () => {
    expect(DOCS_CSP.replace(/ 'sha256-[^']+'/, "")).toBe(WEB_CSP);
    // If an upgrade of @fastify/swagger-ui changes that style, the hash must follow (the browser test in
    // e2e/browser/extremes-and-docs.test.ts would show the violation).
    const require = createRequire(import.meta.url);
    const root = dirname(require.resolve("@fastify/swagger-ui/package.json"));
    const preset = readFileSync(join(root, "static", "swagger-ui-standalone-preset.js"), "utf8");
    expect(preset.match(/createElement\("style",null,"[^"]*"\)/g)).toEqual([
      `createElement("style",null,"${SWAGGER_UI_INLINE_STYLE}")`,
    ]);
  });
});
