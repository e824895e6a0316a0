import { startForSuite, startTestServer, type TestServer } from "@agentboard/test-support";
import { describe, expect, it } from "vitest";
import { initializeBody } from "../mcp/mcp-clients.js";

/**
 * CORS (http/cors.ts): a trusted browser origin (AGENTBOARD_ALLOWED_ORIGINS) gets the headers that let its
 * pages read answers, preflights included; any other origin gets none. Real requests through fetch; the
 * Chromium side is e2e/browser/cross-origin.test.ts.
 */
const TRUSTED = "http://front.example.test:3000";
const STRANGER = "http://evil.example.test";

describe("CORS for trusted origins", () => {
  const t = {} as { server: TestServer };
  startForSuite(
    (server) => {
      t.server = server;
    },
    () => startTestServer({ AGENTBOARD_ALLOWED_ORIGINS: TRUSTED }),
  );

  it("answers a preflight from a trusted origin before authentication, with what the page asked for", async () => {
    for (const path of ["/api/dashboards/me", "/mcp", "/api/agui/me", "/a2a"]) {
      const response = await t.server.raw("OPTIONS", path, {
        headers: {
          origin: TRUSTED,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization,content-type,mcp-session-id",
        },
      });
      expect(response.status, path).toBe(204);
      expect(response.headers.get("access-control-allow-origin")).toBe(TRUSTED);
      expect(response.headers.get("access-control-allow-methods")).toContain("POST");
      expect(response.headers.get("access-control-allow-headers")).toBe(
        "authorization,content-type,mcp-session-id",
      );
      expect(response.headers.get("access-control-allow-credentials")).toBe("true");
      expect(response.headers.get("vary")).toContain("Origin");
    }
  });

  it("puts the headers on answers to a trusted origin, errors and raw-written routes included", async () => {
    const alice = await t.server.caller({ name: "cors-alice", role: "member" });
    const ok = await t.server.raw("GET", "/api/me", {
      headers: { origin: TRUSTED, authorization: `Bearer ${alice.token}` },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(TRUSTED);
    expect(ok.headers.get("access-control-expose-headers")).toContain("Mcp-Session-Id");

    // A 401 before any route runs: the page can still read why.
    const denied = await t.server.raw("GET", "/api/me", { headers: { origin: TRUSTED } });
    expect(denied.status).toBe(401);
    expect(denied.headers.get("access-control-allow-origin")).toBe(TRUSTED);

    // /mcp writes its answer on the raw response: the session id must be readable by the page.
    const initialized = await t.server.raw("POST", "/mcp", {
      headers: {
        origin: TRUSTED,
        authorization: `Bearer ${alice.token}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: initializeBody("cors"),
    });
    expect(initialized.status).toBe(200);
    expect(initialized.headers.get("mcp-session-id")).toBeTruthy();
    expect(initialized.headers.get("access-control-allow-origin")).toBe(TRUSTED);
  });

  it("gives any other origin no CORS headers, and answers its preflight like any unknown OPTIONS", async () => {
    const alice = await t.server.caller({ name: "cors-bob", role: "member" });
    const read = await t.server.raw("GET", "/api/me", {
      headers: { origin: STRANGER, authorization: `Bearer ${alice.token}` },
    });
    // The server answers (a bearer token is not a browser's ambient credential); the browser hides it.
    expect(read.status).toBe(200);
    expect(read.headers.get("access-control-allow-origin")).toBeNull();
    expect(read.headers.get("vary")).toContain("Origin");

    const preflight = await t.server.raw("OPTIONS", "/api/dashboards/me", {
      headers: { origin: STRANGER, "access-control-request-method": "PUT" },
    });
    expect(preflight.status).not.toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBeNull();
    expect(preflight.headers.get("access-control-allow-methods")).toBeNull();
  });

  it("leaves the web app's own files alone: no Vary, so its service worker's cached shell still matches", async () => {
    const shell = await t.server.raw("GET", "/", { headers: { origin: TRUSTED } });
    expect(shell.headers.get("access-control-allow-origin")).toBeNull();
    expect(shell.headers.get("vary") ?? "").not.toContain("Origin");
  });

  it("adds nothing to requests without an Origin (servers, CLIs, SDKs in Node)", async () => {
    const alice = await t.server.caller({ name: "cors-carol", role: "member" });
    const read = await t.server.raw("GET", "/api/me", {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(read.status).toBe(200);
    expect(read.headers.get("access-control-allow-origin")).toBeNull();
  });
});
