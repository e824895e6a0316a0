import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cardJson, listen, startSdkAgent } from "../../packages/server/test/mesh/a2a-fixtures.js";
import { type CliServer, cleanupCli, makeTempDir, startCliServer } from "../helpers/cli.js";
import { api, createToken, freshLoginUrl, signIn } from "./helpers/app.js";
import { DETERMINISTIC, launchBrowser, openPage } from "./helpers/browser.js";

/** The Health page's Agents section follows the directory over `subscribe_agents` (board.agents.watch()). */
describe("the Health page's agents, live in Chromium", { timeout: 120_000 }, () => {
  let server: CliServer;
  let browser: Browser;
  let remote: Awaited<ReturnType<typeof startSdkAgent>>;

  beforeAll(async () => {
    remote = await startSdkAgent("Weather agent");
    [server, browser] = await Promise.all([
      startCliServer({
        dataDir: makeTempDir(),
        env: {
          // The fixture agents listen on 127.0.0.1, which the SSRF guard refuses unless told otherwise.
          AGENTBOARD_AGENTS_ALLOW_PRIVATE_NETWORK: "true",
          // Sweeps every second (the smallest allowed), so health changes show within seconds.
          AGENTBOARD_AGENT_PROBE_INTERVAL_MS: "1000",
          AGENTBOARD_AGENT_PROBE_TIMEOUT_MS: "500",
        },
      }),
      launchBrowser(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await remote?.close();
    await cleanupCli();
  });

  /** The Health page, signed in as an admin, its Agents section live; marked to tell a reload apart. */
  async function openHealth(name: string) {
    const admin = api(server, await createToken(server, "user", name, "admin"));
    const health = await openPage(await browser.newContext({ ...DETERMINISTIC, serviceWorkers: "block" }));
    await signIn(health.page, await freshLoginUrl(server), "/health");
    await health.page.waitForSelector('[aria-label="Agents"][data-agents-live="live"]');
    // Gone if the page reloads: proves the rows below arrived over the open socket.
    await health.page.evaluate(() => {
      (window as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    const sameDocument = () =>
      health.page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument);
    return { admin, health, sameDocument };
  }

  it("a registered remote agent appears and its rename shows, both without a reload", async () => {
    const { admin, health, sameDocument } = await openHealth("ada");

    const registered = await admin.post("/api/agents", { cardUrl: remote.cardUrl });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const id = (registered.body as { id: string }).id;
    const row = health.page.locator(`[data-agent-id="${id}"]`);
    await row.waitFor();
    expect(await row.getAttribute("data-agent-status")).toMatch(/^(unknown|healthy|degraded)$/);
    expect(await row.locator("[data-agent-name]").textContent()).toBe("Weather agent");
    expect(await row.textContent()).toContain("remote (A2A)");

    const renamed = await admin.patch(`/api/agents/${id}`, { displayName: "Forecaster" });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    await health.page.waitForFunction(
      (agentId) =>
        document.querySelector(`[data-agent-id="${agentId}"] [data-agent-name]`)?.textContent ===
        "Forecaster",
      id,
      { timeout: 10_000 },
    );
    expect(await sameDocument()).toBe(true);
    expect(health.problems()).toEqual([]);
  });

  it("a remote agent's health changes show as the prober sees them: healthy, failing, unhealthy, healthy", async () => {
    let up = true;
    const flaky = await listen((_req, res) => {
      if (!up) {
        res.statusCode = 503;
        res.end();
        return;
      }
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(cardJson("Flaky agent", flaky.url)));
    });
    try {
      const { admin, health, sameDocument } = await openHealth("bea");
      const registered = await admin.post("/api/agents", { cardUrl: `${flaky.url}/card.json` });
      expect(registered.status, JSON.stringify(registered.body)).toBe(201);
      const id = (registered.body as { id: string }).id;
      await health.page.locator(`[data-agent-id="${id}"]`).waitFor();
      // Every status the row shows, in order, whatever re-renders it.
      await health.page.evaluate((agentId) => {
        const seen: string[] = [];
        (window as unknown as { statuses: string[] }).statuses = seen;
        const note = () => {
          const status = document
            .querySelector(`[data-agent-id="${agentId}"]`)
            ?.getAttribute("data-agent-status");
          if (status && seen.at(-1) !== status) seen.push(status);
        };
        note();
        new MutationObserver(note).observe(document.body, {
          subtree: true,
          childList: true,
          attributes: true,
        });
      }, id);
      const statusIs = (status: string) =>
        health.page.waitForSelector(`[data-agent-id="${id}"][data-agent-status="${status}"]`, {
          timeout: 20_000,
        });

      await statusIs("healthy");
      up = false;
      await statusIs("unhealthy");
      up = true;
      await statusIs("healthy");
      const statuses = await health.page.evaluate(
        () => (window as unknown as { statuses: string[] }).statuses,
      );
      // Hysteresis as the page shows it: failing first (degraded), unhealthy on the third failure in a row.
      expect(statuses.slice(statuses.indexOf("healthy"))).toEqual([
        "healthy",
        "degraded",
        "unhealthy",
        "healthy",
      ]);
      expect(await sameDocument()).toBe(true);
      expect(health.problems()).toEqual([]);
    } finally {
      await flaky.close();
    }
  });
});
