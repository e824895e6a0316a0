import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSdkAgent } from "../../packages/server/test/mesh/a2a-fixtures.js";
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
      // The SDK agent listens on 127.0.0.1, which the SSRF guard refuses unless told otherwise.
      startCliServer({ dataDir: makeTempDir(), env: { AGENTBOARD_AGENTS_ALLOW_PRIVATE_NETWORK: "true" } }),
      launchBrowser(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await remote?.close();
    await cleanupCli();
  });

  it("a registered remote agent appears and its rename shows, both without a reload", async () => {
    const admin = api(server, await createToken(server, "user", "ada", "admin"));
    const health = await openPage(await browser.newContext({ ...DETERMINISTIC, serviceWorkers: "block" }));
    await signIn(health.page, await freshLoginUrl(server), "/health");
    await health.page.waitForSelector('[aria-label="Agents"][data-agents-live="live"]');
    // Gone if the page reloads: proves the rows below arrived over the open socket.
    await health.page.evaluate(() => {
      (window as unknown as { sameDocument: boolean }).sameDocument = true;
    });

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
    expect(
      await health.page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument),
    ).toBe(true);
    expect(health.problems()).toEqual([]);
  });
});
