import type { Browser, BrowserContext, Page } from "playwright-core";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliServer, cleanupCli, makeTempDir, startCliServer } from "../helpers/cli.js";
import { api, createToken, signIn } from "./helpers/app.js";
import { DETERMINISTIC, launchBrowser, openPage, type WatchedPage } from "./helpers/browser.js";
import {
  FIXED_NOW,
  VISUAL_STATUSES,
  visualFixtureState,
  visualId,
  WIDGET_TYPES_IN_ORDER,
} from "./helpers/fixtures.js";
import { type Comparison, compareImages, compareWithBaseline, crop, UPDATING } from "./helpers/visual.js";

/**
 * Visual regression: every catalogue type in every status, rendered from fixed data at a fixed time, font,
 * viewport and scale, compared with the committed baselines in e2e/baselines/widgets/.
 */
describe("widget visuals", { timeout: 90_000 }, () => {
  let server: CliServer;
  let browser: Browser;
  let context: BrowserContext;
  let watched: WatchedPage;
  let page: Page;
  let token: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startCliServer({ dataDir: makeTempDir() }), launchBrowser()]);
    token = await createToken(server, "user", "admin");
    const put = await api(server, token).put("/api/dashboards/visual-fixtures/state", {
      baseRev: 0,
      state: visualFixtureState(),
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    context = await browser.newContext({ ...DETERMINISTIC, serviceWorkers: "block" });
    watched = await openPage(context);
    page = watched.page;
    await page.clock.setFixedTime(FIXED_NOW);
    await signIn(page, server.loginUrl, "/d/visual-fixtures");
    await page.waitForSelector('[data-dashboard-source="server"]');
    await page.evaluate(() => document.fonts.ready);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await cleanupCli();
  });

  /** One full-page screenshot, cut into one image per widget (no sticky header can overlap a widget). */
  async function widgetShots(): Promise<Map<string, PNG>> {
    await page.evaluate(() => window.scrollTo(0, 0));
    const full = PNG.sync.read(
      await page.screenshot({ fullPage: true, animations: "disabled", caret: "hide" }),
    );
    const shots = new Map<string, PNG>();
    for (const type of WIDGET_TYPES_IN_ORDER) {
      for (const status of VISUAL_STATUSES) {
        const id = visualId(type, status);
        const box = await page.locator(`[data-widget-id="${id}"]`).boundingBox();
        if (!box) throw new Error(`widget ${id} is not rendered`);
        shots.set(id, crop(full, box));
      }
    }
    return shots;
  }

  it("renders every widget type in every status like its baseline", async () => {
    for (const type of WIDGET_TYPES_IN_ORDER) {
      for (const status of VISUAL_STATUSES) {
        await expect
          .poll(() =>
            page.locator(`[data-widget-id="${visualId(type, status)}"]`).getAttribute("data-widget-status"),
          )
          .toBe(status);
      }
    }
    const shots = await widgetShots();
    const results: Comparison[] = [...shots].map(([id, png]) => compareWithBaseline(`widgets/${id}`, png));
    const failed = results.filter((result) => !result.ok);
    expect(failed.map((result) => result.message)).toEqual([]);
    expect(results).toHaveLength(WIDGET_TYPES_IN_ORDER.length * VISUAL_STATUSES.length);
    expect(watched.problems()).toEqual([]);
  });

  it("fails the comparison when a widget changes", async () => {
    if (UPDATING) return;
    const id = visualId("project_status", "ready");
    const before = (await widgetShots()).get(id)!;
    expect(compareWithBaseline(`widgets/${id}`, before).ok).toBe(true);

    // A small but real change: progress 62 → 70.
    const doc = await api(server, token).get("/api/dashboards/visual-fixtures/state");
    const patched = await api(server, token).patch("/api/dashboards/visual-fixtures/state", {
      baseRev: doc.body.rev,
      ops: [{ op: "replace", path: `/widgets/${id}/props/progress`, value: 70 }],
    });
    expect(patched.status).toBe(200);
    await expect
      .poll(() => page.locator(`[data-widget-id="${id}"] [role="progressbar"]`).getAttribute("aria-valuenow"))
      .toBe("70");

    const after = (await widgetShots()).get(id)!;
    const comparison = compareImages(`widgets/${id}.changed`, before, after, { save: false });
    expect(comparison.ok, comparison.message).toBe(false);
    expect(compareWithBaseline(`widgets/${id}`, after, { save: false }).ok).toBe(false);
    expect(watched.problems()).toEqual([]);
  });
});
