import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliServer, cleanupCli, makeTempDir, startCliServer } from "../helpers/cli.js";
import { api, createToken, signIn } from "./helpers/app.js";
import { DETERMINISTIC, launchBrowser, openPage } from "./helpers/browser.js";

const note = (markdown: string) => ({ type: "note", title: "Note", props: { markdown } });

/** The dashboard switcher in the top bar: the user's own and the shared dashboards, the choice in the URL. */
describe("dashboard switcher", { timeout: 60_000 }, () => {
  let server: CliServer;
  let browser: Browser;
  let context: BrowserContext;
  let agent: ReturnType<typeof api>;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startCliServer({ dataDir: makeTempDir() }), launchBrowser()]);
    agent = api(server, await createToken(server, "agent", "e2e-agent"));
    context = await browser.newContext({ ...DETERMINISTIC, serviceWorkers: "block" });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await cleanupCli();
  });

  it("lists a shared dashboard made over REST; picking it shows its widgets at /d/<slug>, and back", async () => {
    const owner = (await agent.get("/api/members")).body.items.find(
      (m: { role?: string }) => m.role === "owner",
    );
    expect((await agent.put(`/api/dashboards/user:${owner.id}/widgets/mine`, note("personal"))).status).toBe(
      200,
    );
    expect((await agent.put("/api/dashboards/release-room/widgets/room-note", note("shared"))).status).toBe(
      200,
    );

    const { page, problems } = await openPage(context);
    await signIn(page, server.loginUrl);
    await page.waitForSelector('[data-widget-id="mine"]');
    const switcher = page.getByRole("combobox", { name: "Dashboard" });
    await expect
      .poll(() => switcher.locator("option").allTextContents())
      .toEqual(["My dashboard", "release-room"]);
    expect(await switcher.inputValue()).toBe("/");

    await switcher.selectOption({ label: "release-room" });
    await page.waitForSelector('[data-widget-id="room-note"]');
    expect(new URL(page.url()).pathname).toBe("/d/release-room");
    expect(await page.locator('[data-widget-id="mine"]').count()).toBe(0);
    expect(await switcher.inputValue()).toBe("/d/release-room");

    // A shared dashboard made while the page is open shows up when the switcher is next used.
    expect((await agent.put("/api/dashboards/late-room/widgets/late", note("late"))).status).toBe(200);
    await switcher.focus();
    await expect
      .poll(() => switcher.locator("option").allTextContents())
      .toEqual(["My dashboard", "late-room", "release-room"]);

    await switcher.selectOption({ label: "My dashboard" });
    await page.waitForSelector('[data-widget-id="mine"]');
    expect(new URL(page.url()).pathname).toBe("/");
    // The URL is the state: back goes to the shared dashboard again.
    await page.goBack();
    await page.waitForSelector('[data-widget-id="room-note"]');
    expect(await switcher.inputValue()).toBe("/d/release-room");
    expect(problems()).toEqual([]);
    await page.close();
  });
});
