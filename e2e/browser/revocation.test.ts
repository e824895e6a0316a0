import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliServer, cleanupCli, makeTempDir, startCliServer } from "../helpers/cli.js";
import { freshLoginUrl, signIn } from "./helpers/app.js";
import {
  DETERMINISTIC,
  launchBrowser,
  NETWORK_FAILURES,
  openPage,
  type WatchedPage,
} from "./helpers/browser.js";

/**
 * Issue 13, finding 2, in the browser: signing out in one tab ends the session everywhere it is open. The
 * other tab's sockets are closed with 4401 and it shows the signed-out page instead of reconnecting in a
 * loop; another device with its own session stays live.
 */
describe("sign-out reaches every open tab", { timeout: 60_000 }, () => {
  let server: CliServer;
  let browser: Browser;
  let device: BrowserContext;
  let otherDevice: BrowserContext;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startCliServer({ dataDir: makeTempDir() }), launchBrowser()]);
    device = await browser.newContext({ ...DETERMINISTIC, serviceWorkers: "block" });
    otherDevice = await browser.newContext({ ...DETERMINISTIC, serviceWorkers: "block" });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await cleanupCli();
  });

  it("a sign-out in tab A shows tab B the signed-out page, with no reconnect loop; another device stays live", async () => {
    // Tab B's refused requests after the sign-out are expected; anything else is a problem.
    const allow = [...NETWORK_FAILURES, /401/];
    const tabA = await openPage(device, allow);
    const tabB: WatchedPage = await openPage(device, allow);
    const phone = await openPage(otherDevice, allow);
    await signIn(tabA.page, await freshLoginUrl(server));
    // Same browser, same session cookie: tab B needs no login of its own.
    await tabB.page.goto(`${server.url}/inbox`);
    await tabB.page.waitForSelector('[data-sync-status="connected"]');
    await signIn(phone.page, await freshLoginUrl(server));

    let socketsOfB = 0;
    tabB.page.on("websocket", () => {
      socketsOfB++;
    });
    await tabA.page.getByRole("button", { name: "Sign out" }).click();
    await tabA.page.waitForSelector("main.signed-out");
    await tabB.page.waitForSelector("main.signed-out", { timeout: 5_000 });
    const afterSignedOut = socketsOfB;
    // "Sign in again", not a reconnect loop: at most one attempt, which the server refused.
    expect(afterSignedOut).toBeLessThanOrEqual(1);
    await tabB.page.waitForTimeout(1_500);
    expect(socketsOfB).toBe(afterSignedOut);
    expect(await phone.page.getAttribute("[data-sync-status]", "data-sync-status")).toBe("connected");
    expect(phone.problems()).toEqual([]);
  });
});
