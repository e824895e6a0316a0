import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliServer, cleanupCli, makeTempDir, startCliServer } from "../helpers/cli.js";
import { api, createToken, signIn } from "./helpers/app.js";
import { DETERMINISTIC, launchBrowser, openPage } from "./helpers/browser.js";

const HUGE = 1.7e308;
const MAX = Number.MAX_VALUE;

/** Every attribute of every SVG element on the page whose value says NaN or Infinity. */
function nonFiniteSvgAttributes(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll("svg, svg *")).flatMap((element) =>
      Array.from(element.attributes)
        .filter((attribute) => /NaN|Infinity/.test(attribute.value))
        .map((attribute) => `<${element.tagName} ${attribute.name}="${attribute.value.slice(0, 80)}">`),
    ),
  );
}

/** CSP violations the page reported (the browser also logs them as console errors). */
async function recordCspViolations(page: Page): Promise<() => Promise<string[]>> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener("securitypolicyviolation", (event) =>
      seen.push(`${event.violatedDirective} ${event.blockedURI}`),
    );
  });
  return () => page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);
}

describe("values at the limits of a double, and the API docs page", { timeout: 60_000 }, () => {
  let server: CliServer;
  let browser: Browser;
  let context: BrowserContext;
  let token: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startCliServer({ dataDir: makeTempDir() }), launchBrowser()]);
    token = await createToken(server, "user", "admin");
    context = await browser.newContext({ ...DETERMINISTIC, serviceWorkers: "block" });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await cleanupCli();
  });

  it("renders chart and metrics widgets with ±1.7e308 and MAX_VALUE without NaN or console errors", async () => {
    const owner = api(server, token);
    const extremes = [HUGE, -HUGE, MAX, -MAX, 5e-324, -1e-300, 0, 42];
    const widgets = {
      "chart-line": { kind: "line", series: [{ name: "huge", points: extremes.map((y, x) => ({ x, y })) }] },
      "chart-area": {
        kind: "area",
        series: [
          { name: "up", points: [HUGE, -HUGE, 1].map((y, x) => ({ x, y })) },
          { name: "down", points: [-MAX, MAX, -1].map((y, x) => ({ x, y })) },
        ],
      },
      "chart-bar": {
        kind: "bar",
        series: [{ name: "bars", points: [MAX, -MAX, 1e-300].map((y, x) => ({ x, y })) }],
      },
    };
    for (const [id, props] of Object.entries(widgets)) {
      const put = await owner.put(`/api/dashboards/extremes/widgets/${id}`, {
        type: "chart",
        title: id,
        props,
      });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
    }
    const metrics = await owner.put("/api/dashboards/extremes/widgets/metrics", {
      type: "metrics",
      title: "Extremes",
      props: {
        items: [
          { label: "Both ends", value: HUGE, delta: -MAX, trend: [HUGE, -HUGE, HUGE] },
          { label: "Max", value: -MAX, trend: [-MAX, MAX, 5e-324, -MAX] },
          { label: "Flat at the top", value: MAX, trend: [MAX, MAX] },
        ],
      },
    });
    expect(metrics.status, JSON.stringify(metrics.body)).toBe(200);

    const { page, problems } = await openPage(context);
    await signIn(page, server.loginUrl, "/d/extremes");
    for (const id of [...Object.keys(widgets), "metrics"]) {
      await page.waitForSelector(`[data-widget-id="${id}"][data-widget-status="ready"] svg`);
    }
    // Each chart draws its series, and each trend its sparkline.
    expect(await page.locator('[data-widget-id="chart-line"] path.chart__line').count()).toBe(1);
    expect(await page.locator('[data-widget-id="chart-area"] path.chart__area').count()).toBe(2);
    expect(await page.locator('[data-widget-id="chart-bar"] rect').count()).toBe(3);
    expect(await page.locator('[data-widget-id="metrics"] svg.sparkline path').count()).toBe(3);
    expect(await nonFiniteSvgAttributes(page)).toEqual([]);
    expect(problems()).toEqual([]);
    await page.close();
  });

  it("serves /docs with the app's CSP and no framing, and Swagger UI still renders under it", async () => {
    const { page, problems } = await openPage(context);
    const violations = await recordCspViolations(page);
    const response = await page.goto(`${server.url}/docs`);
    expect(response?.status()).toBe(200);
    const headers = response?.headers() ?? {};
    expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(headers["content-security-policy"]).not.toContain("unsafe-inline");
    expect(headers["x-frame-options"]).toBe("DENY");
    // The UI fetched /docs/json and rendered its operations.
    await page.waitForSelector(".swagger-ui .info .title");
    await page.waitForSelector('.swagger-ui .opblock[id*="dashboards"]');
    // Opening an operation renders its schemas (more of the UI's code paths, still under the policy).
    await page.locator(".swagger-ui .opblock-summary").first().click();
    await page.waitForSelector(".swagger-ui .opblock-body");
    expect(await violations()).toEqual([]);
    expect(problems()).toEqual([]);
    await page.close();
  });
});
