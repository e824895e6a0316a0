import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initializeBody } from "../../packages/server/test/mcp/mcp-clients.js";
import { type CliServer, cleanupCli, makeTempDir, startCliServer } from "../helpers/cli.js";
import { api, createToken } from "./helpers/app.js";
import { DETERMINISTIC, launchBrowser } from "./helpers/browser.js";

/** A front-end of its own on another origin: one blank page, served on its own port. */
async function frontEnd(): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end("<!doctype html><title>front-end</title><p>front-end</p>");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/**
 * CORS in a real browser: a page on an origin listed in AGENTBOARD_ALLOWED_ORIGINS calls the API and /mcp
 * with a bearer token, preflighted requests included, and reads the answers; a page on any other origin is
 * stopped by Chromium.
 */
describe("a front-end on another origin, in Chromium", { timeout: 120_000 }, () => {
  let server: CliServer;
  let browser: Browser;
  let trusted: Awaited<ReturnType<typeof frontEnd>>;
  let stranger: Awaited<ReturnType<typeof frontEnd>>;
  let token: string;

  beforeAll(async () => {
    [trusted, stranger] = await Promise.all([frontEnd(), frontEnd()]);
    [server, browser] = await Promise.all([
      startCliServer({ dataDir: makeTempDir(), env: { AGENTBOARD_ALLOWED_ORIGINS: trusted.url } }),
      launchBrowser(),
    ]);
    token = await createToken(server, "user", "front-end-user", "member");
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    trusted?.server.close();
    stranger?.server.close();
    await cleanupCli();
  });

  async function pageOn(origin: string): Promise<Page> {
    const page = await (await browser.newContext(DETERMINISTIC)).newPage();
    await page.goto(origin);
    return page;
  }

  it("a trusted origin reads the API, writes a widget (preflighted) and opens an MCP session", async () => {
    const page = await pageOn(trusted.url);
    const answers = await page.evaluate(
      async ({ base, token, initialize }) => {
        const auth = { authorization: `Bearer ${token}` };
        const me = await fetch(`${base}/api/me`, { headers: auth });
        const put = await fetch(`${base}/api/dashboards/me/widgets/from-front`, {
          method: "PUT",
          headers: { ...auth, "content-type": "application/json" },
          body: JSON.stringify({
            id: "from-front",
            type: "note",
            title: "From the front-end",
            props: { markdown: "hi" },
          }),
        });
        const mcp = await fetch(`${base}/mcp`, {
          method: "POST",
          headers: {
            ...auth,
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
          },
          body: initialize,
        });
        return {
          me: {
            status: me.status,
            name: ((await me.json()) as { principal?: { name?: string } }).principal?.name,
          },
          put: put.status,
          mcp: { status: mcp.status, session: mcp.headers.get("mcp-session-id") },
        };
      },
      { base: server.url, token, initialize: initializeBody("front") },
    );
    expect(answers.me).toEqual({ status: 200, name: "front-end-user" });
    expect([200, 201]).toContain(answers.put);
    expect(answers.mcp.status).toBe(200);
    expect(answers.mcp.session).toBeTruthy();
    const stored = await api(server, token).get("/api/dashboards/me/state");
    expect(
      (stored.body as { state: { widgets: Record<string, unknown> } }).state.widgets["from-front"],
    ).toBeTruthy();
  });

  it("any other origin cannot read an answer, nor send a preflighted write", async () => {
    const page = await pageOn(stranger.url);
    const outcome = await page.evaluate(
      async ({ base, token }) => {
        const attempt = async (run: () => Promise<Response>) => {
          try {
            await run();
            return "read";
          } catch {
            return "blocked";
          }
        };
        return {
          read: await attempt(() =>
            fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${token}` } }),
          ),
          write: await attempt(() =>
            fetch(`${base}/api/dashboards/me/widgets/from-stranger`, {
              method: "PUT",
              headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
              body: JSON.stringify({
                id: "from-stranger",
                type: "note",
                title: "No",
                props: { markdown: "no" },
              }),
            }),
          ),
        };
      },
      { base: server.url, token },
    );
    expect(outcome).toEqual({ read: "blocked", write: "blocked" });
    // The preflight failed, so the write never reached the server.
    const stored = await api(server, token).get("/api/dashboards/me/state");
    expect(
      (stored.body as { state: { widgets: Record<string, unknown> } }).state.widgets["from-stranger"],
    ).toBeUndefined();
  });
});
