import { WIDGET_TYPES } from "@agentboard/protocol";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliServer, cleanupCli, makeTempDir, startCliServer } from "../helpers/cli.js";
import { api, createToken, freshLoginUrl, signIn } from "./helpers/app.js";
import { DETERMINISTIC, launchBrowser, openPage } from "./helpers/browser.js";

/** `agentboard start --demo` with the real demo agents, driven through Debian's chromium. */
describe("dashboard with the demo agents", { timeout: 60_000 }, () => {
  let server: CliServer;
  let browser: Browser;
  let context: BrowserContext;
  let agentToken: string;
  let ownerId: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startCliServer({
        dataDir: makeTempDir(),
        args: ["--demo"],
        // Short enough for a test; the default (30 s) is the same code path.
        env: { AGENTBOARD_REFRESH_TIMEOUT_MS: "2000", AGENTBOARD_DEMO_APPROVAL_FIRST_MS: "600000" },
      }),
      launchBrowser(),
    ]);
    agentToken = await createToken(server, "agent", "e2e-silent-agent");
    const me = await api(server, await createToken(server, "user", "admin")).get("/api/me");
    ownerId = me.body.principal.id;
    context = await browser.newContext({ ...DETERMINISTIC, serviceWorkers: "block" });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await cleanupCli();
  });

  it("opens from the printed login URL with every widget type rendered, live", async () => {
    const { page, problems } = await openPage(context);
    await signIn(page, server.loginUrl);
    expect(new URL(page.url()).pathname).toBe("/");
    await page.waitForSelector('[data-dashboard-source="server"]');
    const types = await page
      .locator("[data-widget-type]")
      .evaluateAll((nodes) => nodes.map((node) => (node as HTMLElement).dataset.widgetType));
    expect([...new Set(types)].sort()).toEqual([...WIDGET_TYPES].sort());
    for (const node of await page.locator("[data-widget-id]").all()) {
      expect(await node.getAttribute("data-widget-status")).toMatch(/^(loading|ready|empty|error|stale)$/);
    }
    // "Service status" is bound to the demo's A2A status agent: the server loaded it over A2A.
    const status = page.locator('[data-widget-id="service-status"]');
    await expect.poll(() => status.getAttribute("data-widget-status")).toBe("ready");
    expect(await status.textContent()).toContain("API uptime");
    // Widgets are attributed by display name: the demo names its board agent "Dashboard agent".
    expect(await status.locator("[data-widget-updated-by]").textContent()).toBe("by Dashboard agent");
    // The page is the built app, served with a strict CSP.
    const response = await page.request.get(server.url);
    expect(response.headers()["content-security-policy"]).toContain("script-src 'self'");
    expect(problems()).toEqual([]);
    await page.close();
  });

  it("Retry on an error widget: loading, then ready, answered by the demo agent that failed once", async () => {
    const { page, problems } = await openPage(context);
    await signIn(page, await freshLoginUrl(server));
    const feed = page.locator('[data-widget-id="release-feed"]');
    await expect.poll(() => feed.getAttribute("data-widget-status")).toBe("error");
    await expect.poll(() => feed.textContent()).toContain("timed out");
    await feed.getByRole("button", { name: "Retry" }).click();
    await expect.poll(() => feed.getAttribute("data-widget-status"), { interval: 20 }).toBe("loading");
    await expect.poll(() => feed.getAttribute("data-widget-status"), { timeout: 10_000 }).toBe("ready");
    await expect.poll(() => feed.textContent()).toContain("web-frontend 1.8.2 released");
    expect(server.output().stdout).toContain("board-agent: refresh requested for release-feed");
    expect(problems()).toEqual([]);
    await page.close();
  });

  it("a refresh nobody answers ends as a retryable error after the refresh timeout", async () => {
    // Written by an agent that holds no realtime connection, so no one can answer the refresh.
    const put = await api(server, agentToken).put(`/api/dashboards/user:${ownerId}/widgets/silent`, {
      type: "metrics",
      title: "Silent source",
      props: { items: [{ label: "Queue depth", value: 12 }] },
    });
    expect(put.status).toBe(200);
    const { page, problems } = await openPage(context);
    await signIn(page, await freshLoginUrl(server));
    const widget = page.locator('[data-widget-id="silent"]');
    await expect.poll(() => widget.getAttribute("data-widget-status")).toBe("ready");
    const refreshed = await api(server, agentToken).post(
      `/api/dashboards/user:${ownerId}/widgets/silent/refresh`,
    );
    expect(refreshed.status).toBe(202);
    await expect.poll(() => widget.getAttribute("data-widget-status")).toBe("loading");
    await expect.poll(() => widget.getAttribute("data-widget-status"), { timeout: 10_000 }).toBe("error");
    await expect.poll(() => widget.textContent()).toContain("no answer from");
    // Retryable: the Retry button is offered again, and it starts another round.
    await widget.getByRole("button", { name: "Retry" }).click();
    await expect.poll(() => widget.getAttribute("data-widget-status"), { interval: 20 }).toBe("loading");
    expect(problems()).toEqual([]);
    await page.close();
  });

  it("agent data with markup and a javascript: link renders as inert text, never as HTML or a link", async () => {
    const board = api(server, agentToken);
    const dashboard = `/api/dashboards/user:${ownerId}/widgets`;
    const hostile = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
    // The protocol refuses a javascript: link outright …
    const refused = await board.put(`${dashboard}/evil-link`, {
      type: "alert",
      title: "Evil",
      props: { severity: "info", message: "x", link: { label: "click", href: "javascript:window.__xss=3" } },
    });
    expect(refused.status).toBe(422);
    // … and whatever text gets through is only ever text.
    expect(
      (
        await board.put(`${dashboard}/hostile-alert`, {
          type: "alert",
          title: hostile,
          props: { severity: "error", message: hostile },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await board.put(`${dashboard}/hostile-note`, {
          type: "note",
          title: "Hostile note",
          props: {
            markdown: `${hostile}\n\n[click me](javascript:window.__xss=4) and [ok](https://example.com/ok)\n\n<a href="javascript:window.__xss=5">raw</a> ![pixel](https://example.com/p.png)`,
          },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await board.put(`${dashboard}/hostile-table`, {
          type: "table",
          title: "Hostile table",
          props: { columns: [{ key: "c", label: hostile }], rows: [{ c: hostile }] },
        })
      ).status,
    ).toBe(200);

    const { page, problems } = await openPage(context);
    await signIn(page, await freshLoginUrl(server));
    for (const id of ["hostile-alert", "hostile-note", "hostile-table"]) {
      await page.waitForSelector(`[data-widget-id="${id}"][data-widget-status="ready"]`);
      const widget = page.locator(`[data-widget-id="${id}"]`);
      expect(await widget.locator("img, script, iframe, [onerror]").count(), id).toBe(0);
      expect(await widget.locator('a[href^="javascript" i]').count(), id).toBe(0);
    }
    expect(await page.locator('[data-widget-id="hostile-alert"]').textContent()).toContain(
      '<img src=x onerror="window.__xss=1">',
    );
    const note = page.locator('[data-widget-id="hostile-note"]');
    expect(await note.textContent()).toContain("click me");
    expect(
      await note.locator("a[href]").evaluateAll((links) => links.map((a) => a.getAttribute("href"))),
    ).toEqual(["https://example.com/ok"]);
    expect(await note.locator("a[href]").getAttribute("rel")).toContain("noopener");
    expect(await page.locator('[data-widget-id="hostile-table"] td').textContent()).toBe(hostile);
    expect(await page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined();
    expect(problems()).toEqual([]);
    await page.close();
  });

  it("shows readiness on the health page with room for MCP servers and agents", async () => {
    const { page, problems } = await openPage(context);
    await signIn(page, await freshLoginUrl(server));
    await page.getByRole("link", { name: "Health" }).click();
    await page.waitForSelector('[data-health-component="sqlite"][data-health-status="ok"]');
    expect(await page.locator("[data-ready-status]").getAttribute("data-ready-status")).toBe("ok");
    // The MCP section is live (board.mcp.watch): read it once its subscription answered.
    await page.waitForSelector('[aria-label="MCP servers"][data-mcp-live="live"]');
    expect(await page.getByRole("region", { name: "MCP servers" }).textContent()).toContain("No MCP servers");
    // The mesh is reported by /readyz (no remote agent unhealthy: ok, never making the node unready) …
    const agents = page.getByRole("region", { name: "Agents" });
    await agents.locator('[data-health-component="mesh"][data-health-status="ok"]').waitFor();
    // … and the demo's A2A status agent is in the live directory, healthy.
    await agents
      .locator('[data-agent-status="healthy"]', {
        has: page.locator("[data-agent-name]", { hasText: "Service status agent" }),
      })
      .waitFor();
    // A reload on a client route serves the app again.
    await page.reload();
    await page.waitForSelector('[data-health-component="sqlite"]');
    expect(problems()).toEqual([]);
    await page.close();
  });

  it("sign-out ends the session and clears this user's cached dashboards", async () => {
    const { page, problems } = await openPage(context);
    await signIn(page, await freshLoginUrl(server));
    const cacheKeys = () =>
      page.evaluate(
        () =>
          new Promise<string[]>((resolve, reject) => {
            const open = indexedDB.open("agentboard");
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const db = open.result;
              if (!db.objectStoreNames.contains("cache")) return resolve([]);
              const request = db.transaction("cache").objectStore("cache").getAllKeys();
              request.onsuccess = () => {
                resolve(request.result.map(String));
                db.close();
              };
            };
          }),
      );
    await expect.poll(cacheKeys).toEqual([expect.stringContaining(`:${ownerId}:me`)]);
    expect(await page.evaluate(() => localStorage.getItem("agentboard:last-identity"))).toContain(ownerId);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForSelector(".signed-out");
    await expect.poll(cacheKeys).toEqual([]);
    expect(await page.evaluate(() => localStorage.getItem("agentboard:last-identity"))).toBeNull();
    const me = await page.evaluate(async () => (await fetch("/api/me")).status);
    expect(me).toBe(401);
    expect(problems().filter((p) => !/401/.test(p))).toEqual([]);
    await page.close();
  });
});
