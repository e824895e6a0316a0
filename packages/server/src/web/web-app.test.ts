import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerErrorHandler } from "../http/error-handler.js";
import { registerWebApp, WEB_CSP } from "./web-app.js";

describe("serving the built web app", () => {
  let dist: string;
  let app: FastifyInstance;

  beforeAll(async () => {
    dist = mkdtempSync(join(tmpdir(), "agentboard-web-"));
    mkdirSync(join(dist, "assets"));
    writeFileSync(join(dist, "index.html"), "<!doctype html><title>app</title>");
    writeFileSync(join(dist, "sw.js"), "self.addEventListener('fetch', () => {});");
    writeFileSync(join(dist, "favicon.svg"), "<svg/>");
    writeFileSync(join(dist, "assets", "index-abc123.js"), "console.log(1)");
    writeFileSync(join(dist, "assets", "index-abc123.css"), "body{}");
    writeFileSync(join(dist, "assets", "notes.md"), "not served: unknown type");
    // The MCP Apps view: /mcp's resource, never a page of the app.
    mkdirSync(join(dist, "mcp-app"));
    writeFileSync(join(dist, "mcp-app", "widget.html"), "<!doctype html><title>view</title>");
    writeFileSync(join(dist, "..", "secret-next-to-dist.txt"), "never");
    app = Fastify();
    registerErrorHandler(app, true);
    app.get("/api/known", async () => ({ ok: true }));
    expect(registerWebApp(app, { distDir: dist })).toBe(true);
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
    rmSync(dist, { recursive: true, force: true });
    rmSync(join(dist, "..", "secret-next-to-dist.txt"), { force: true });
  });

  it("serves index.html at / and for client routes, revalidated every time, with a strict CSP", async () => {
    for (const url of ["/", "/inbox", "/health", "/d/team-board", "/?login=abl_x"]) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(response.headers["cache-control"]).toBe("no-cache");
      expect(response.headers["content-security-policy"]).toBe(WEB_CSP);
      expect(response.headers["x-content-type-options"]).toBe("nosniff");
      expect(response.body).toContain("<title>app</title>");
    }
    expect(WEB_CSP).toContain("script-src 'self'");
    expect(WEB_CSP).not.toContain("unsafe-inline");
    expect(WEB_CSP).toContain("frame-ancestors 'none'");
  });

  it("serves hashed assets as immutable with their content type and answers If-None-Match with 304", async () => {
    const js = await app.inject({ url: "/assets/index-abc123.js" });
    expect(js.statusCode).toBe(200);
    expect(js.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(js.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect((await app.inject({ url: "/assets/index-abc123.css" })).headers["content-type"]).toBe(
      "text/css; charset=utf-8",
    );
    const again = await app.inject({
      url: "/assets/index-abc123.js",
      headers: { "if-none-match": String(js.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe("");
    const sw = await app.inject({ url: "/sw.js" });
    expect(sw.headers["cache-control"]).toBe("no-cache");
  });

  it("never serves unknown types, files outside dist, or the app for server paths", async () => {
    expect((await app.inject({ url: "/assets/notes.md" })).statusCode).toBe(404);
    expect((await app.inject({ url: "/mcp-app/widget.html" })).statusCode).toBe(404);
    expect((await app.inject({ url: "/assets/missing-123.js" })).statusCode).toBe(404);
    for (const url of [
      "/../secret-next-to-dist.txt",
      "/%2e%2e/secret-next-to-dist.txt",
      "/assets/..%2f..%2fsecret-next-to-dist.txt",
    ]) {
      const response = await app.inject({ url });
      expect(response.body, url).not.toContain("never");
    }
    const api = await app.inject({ url: "/api/unknown" });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toMatchObject({ error: "not_found" });
    expect((await app.inject({ url: "/api/known" })).json()).toEqual({ ok: true });
    expect((await app.inject({ url: "/metrics/x" })).statusCode).toBe(404);
  });

  it("registers nothing when the app is not built", () => {
    const bare = Fastify();
    expect(registerWebApp(bare, { distDir: join(dist, "does-not-exist") })).toBe(false);
  });
});
