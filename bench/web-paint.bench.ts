/**
 * Web paint benchmark: how fast the web app shows what the server has.
 *
 *   npm run bench:web-paint          (needs the build: npm run build; and /usr/bin/chromium)
 *
 * 1. Patch → paint. A writer (this process, over REST, acked) changes one widget 200 times; a second browser
 *    context with the dashboard open records when the change is painted (DOM mutation, then the next frame).
 *    Our path (SDK replica → zustand → React) runs against a baseline in the same run: a bare page on the
 *    same origin with a raw WebSocket that writes the new text straight into the DOM (no SDK, no schema
 *    checks, no React). Rounds alternate between the two, so machine noise hits both.
 * 2. First meaningful paint of a 50-widget dashboard: navigation start → the first frame showing the widgets
 *    (the app's `agentboard:dashboard-painted` mark), with the local cache (server reachable, and realtime
 *    blocked so only the cache can answer) against no cache (everything from the server), on loopback and
 *    with 150 ms added to every request.
 *
 * Times of the writer and of the page are put on one clock by measuring the offset between them first.
 */
import os from "node:os";
import type { Widget } from "@agentboard/protocol";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { CHROMIUM_ARGS, CHROMIUM_PATH, DETERMINISTIC } from "../e2e/browser/helpers/browser.js";
import { FIXTURE_PROPS, WIDGET_TYPES_IN_ORDER } from "../e2e/browser/helpers/fixtures.js";
import {
  type CliServer,
  cleanupCli,
  http,
  lastLine,
  makeTempDir,
  runCli,
  startCliServer,
} from "../e2e/helpers/cli.js";

const PATCHES = 200;
const ROUNDS = 4;
const PATCH_GAP_MS = 25;
const PAINT_RUNS = 10;
const FMP_WIDGETS = 50;
const PATCH_DASHBOARD = "bench-patch";
const FMP_DASHBOARD = "bench-fmp";
/** Added to every request in the slow-network rows (a distant server or a phone network). */
const SLOW_LATENCY_MS = 150;

interface Stats {
  n: number;
  p50: number;
  p90: number;
  p99: number;
}

function stats(values: number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { n: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}

const now = () => performance.timeOrigin + performance.now();
const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : "–");

function widget(id: string, index: number): Widget {
  const type = WIDGET_TYPES_IN_ORDER[index % WIDGET_TYPES_IN_ORDER.length]!;
  return {
    id,
    type,
    title: `Widget ${index}`,
    props: FIXTURE_PROPS[type],
    status: "ready",
    updatedAt: "2025-03-14T11:58:00.000Z",
    updatedBy: "agent:bench",
  } as Widget;
}

function dashboardState(count: number, probe: boolean) {
  const widgets: Record<string, Widget> = {};
  const items = [];
  for (let i = 0; i < count; i++) {
    const id = `w${i}`;
    widgets[id] = widget(id, i);
    items.push({ widgetId: id, x: (i % 3) * 4, y: Math.floor(i / 3) * 5, w: 4, h: 5 });
  }
  if (probe) {
    widgets.probe = {
      id: "probe",
      type: "alert",
      title: "Probe",
      props: { severity: "info", message: "start" },
      status: "ready",
      updatedAt: "2025-03-14T11:58:00.000Z",
      updatedBy: "agent:bench",
    };
    items.unshift({ widgetId: "probe", x: 0, y: 0, w: 12, h: 2 });
    for (const item of items.slice(1)) item.y += 2;
  }
  return { schemaVersion: 1, layout: { columns: 12, items }, widgets, preferences: {} };
}

/** page clock − this process's clock, from the tightest of several round trips. */
async function clockOffset(page: Page): Promise<number> {
  let best = { rtt: Number.POSITIVE_INFINITY, offset: 0 };
  for (let i = 0; i < 15; i++) {
    const before = now();
    const pageTime = await page.evaluate(() => performance.timeOrigin + performance.now());
    const after = now();
    if (after - before < best.rtt) best = { rtt: after - before, offset: pageTime - (before + after) / 2 };
  }
  return best.offset;
}

/** Records, in the page, when each `seq:<n>` text is painted (mutation, then after the next frame). */
async function installPaintProbe(page: Page): Promise<void> {
  await page.evaluate(() => {
    const painted: Record<string, number> = {};
    (window as unknown as { __painted: Record<string, number> }).__painted = painted;
    const seen = new Set<string>();
    new MutationObserver(() => {
      const text = document.querySelector('[data-bench-probe], [data-widget-id="probe"]')?.textContent ?? "";
      const match = /seq:(\d+)/.exec(text);
      if (!match || seen.has(match[1]!)) return;
      const seq = match[1]!;
      seen.add(seq);
      requestAnimationFrame(() =>
        setTimeout(() => (painted[seq] = performance.timeOrigin + performance.now()), 0),
      );
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

/**
 * The baseline: a raw WebSocket that puts the patched text into the DOM itself. It runs in a page of the
 * server's origin (its /healthz answer, which has no CSP), like the app does.
 */
async function openRawPage(page: Page, url: string, dashboardId: string): Promise<void> {
  await page.goto(`${url}/healthz`);
  await page.evaluate(async (dashboardId) => {
    document.body.innerHTML = "<p data-bench-probe>start</p>";
    const probe = document.querySelector("[data-bench-probe]")!;
    const { ticket } = (await (await fetch("/api/realtime/ticket", { method: "POST" })).json()) as {
      ticket: string;
    };
    const socket = new WebSocket(`ws://${location.host}/api/realtime?ticket=${encodeURIComponent(ticket)}`);
    await new Promise<void>((resolve) => {
      socket.onopen = () => socket.send(JSON.stringify({ type: "subscribe", id: "s1", dashboardId }));
      socket.onmessage = (event) => {
        const frame = JSON.parse(event.data as string) as {
          type: string;
          ops?: { path: string; value: unknown }[];
        };
        if (frame.type === "subscribed") resolve();
        if (frame.type !== "patch") return;
        for (const op of frame.ops ?? []) {
          if (op.path === "/widgets/probe/props/message") probe.textContent = String(op.value);
        }
      };
    });
  }, dashboardId);
}

async function patchToPaint(server: CliServer, token: string, context: BrowserContext) {
  const headers = { authorization: `Bearer ${token}` };
  const put = await http(`${server.url}/api/dashboards/${PATCH_DASHBOARD}/state`, {
    method: "PUT",
    headers,
    body: { baseRev: 0, state: dashboardState(20, true) },
  });
  if (put.status !== 200) throw new Error(`PUT failed: ${JSON.stringify(put.body)}`);
  let rev = put.body.rev as number;

  const app = await context.newPage();
  await app.goto(`${server.url}/d/${PATCH_DASHBOARD}`);
  await app.waitForSelector('[data-widget-id="probe"]');
  await app.waitForSelector('[data-sync-status="connected"]');
  const raw = await context.newPage();
  await openRawPage(raw, server.url, PATCH_DASHBOARD);

  const samples: Record<"app" | "raw", number[]> = { app: [], raw: [] };
  const acks: number[] = [];
  let seq = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const order: Array<"app" | "raw"> = round % 2 === 0 ? ["app", "raw"] : ["raw", "app"];
    for (const which of order) {
      const page = which === "app" ? app : raw;
      // Only the measured page is in front; the other one is hidden, so it paints nothing.
      await page.bringToFront();
      await installPaintProbe(page);
      const offset = await clockOffset(page);
      const sent = new Map<number, number>();
      for (let i = 0; i < PATCHES / ROUNDS; i++) {
        seq++;
        const at = now();
        sent.set(seq, at);
        const response = await http(`${server.url}/api/dashboards/${PATCH_DASHBOARD}/state`, {
          method: "PATCH",
          headers,
          body: {
            baseRev: rev,
            ops: [{ op: "replace", path: "/widgets/probe/props/message", value: `seq:${seq}` }],
          },
        });
        if (response.status !== 200) throw new Error(`PATCH failed: ${JSON.stringify(response.body)}`);
        rev = response.body.rev;
        acks.push(now() - at);
        await new Promise((resolve) => setTimeout(resolve, PATCH_GAP_MS));
      }
      await new Promise((resolve) => setTimeout(resolve, 300));
      const painted = await page.evaluate(
        () => (window as unknown as { __painted: Record<string, number> }).__painted,
      );
      for (const [s, at] of sent) {
        const paintedAt = painted[String(s)];
        if (paintedAt !== undefined) samples[which].push(paintedAt - offset - at);
      }
    }
  }
  await app.close();
  await raw.close();
  return { app: stats(samples.app), raw: stats(samples.raw), ack: stats(acks) };
}

async function firstMeaningfulPaint(server: CliServer, token: string, context: BrowserContext) {
  const put = await http(`${server.url}/api/dashboards/${FMP_DASHBOARD}/state`, {
    method: "PUT",
    headers: { authorization: `Bearer ${token}` },
    body: { baseRev: 0, state: dashboardState(FMP_WIDGETS, false) },
  });
  if (put.status !== 200) throw new Error(`PUT failed: ${JSON.stringify(put.body)}`);
  const page = await context.newPage();
  const url = `${server.url}/d/${FMP_DASHBOARD}`;
  await page.goto(url);
  await page.waitForSelector('[data-dashboard-source="server"]');
  // Until the cache has been written once (evaluate awaits the promise; waitForFunction would not).
  const cached = () =>
    page.evaluate(
      () =>
        new Promise<boolean>((resolve) => {
          const open = indexedDB.open("agentboard");
          open.onsuccess = () => {
            const request = open.result.transaction("cache").objectStore("cache").getAllKeys();
            request.onsuccess = () =>
              resolve(request.result.some((key) => String(key).endsWith(":bench-fmp")));
            request.onerror = () => resolve(false);
          };
          open.onerror = () => resolve(false);
        }),
    );
  for (let tries = 0; !(await cached()); tries++) {
    if (tries > 100) throw new Error("the dashboard was never cached");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  // (No named functions inside evaluate: tsx would wrap them in a helper the page does not have.)
  const mark = async () => {
    await page.waitForFunction(
      () => performance.getEntriesByName("agentboard:dashboard-painted").length > 0,
      null,
      {
        polling: 5,
      },
    );
    return page.evaluate(() => {
      const entry = performance.getEntriesByName("agentboard:dashboard-painted")[0] as PerformanceMark;
      return { at: entry.startTime, source: (entry.detail as { source: string }).source };
    });
  };

  const clearCache = () =>
    page.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const open = indexedDB.open("agentboard");
          open.onsuccess = () => {
            const tx = open.result.transaction("cache", "readwrite");
            tx.objectStore("cache").clear();
            tx.oncomplete = () => resolve();
          };
        }),
    );

  const cdp = await context.newCDPSession(page);
  const setLatency = (latency: number) =>
    cdp.send("Network.emulateNetworkConditions", {
      offline: false,
      latency,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });

  const runs: Record<"cacheOnly" | "cacheLive" | "noCache" | "slowCache" | "slowNoCache", number[]> = {
    cacheOnly: [],
    cacheLive: [],
    noCache: [],
    slowCache: [],
    slowNoCache: [],
  };
  const winners: string[] = [];
  for (let i = 0; i < PAINT_RUNS; i++) {
    // Cached, realtime blocked: what a user sees first when the server is slow or away.
    await page.route("**/api/realtime/ticket", (route) => route.abort());
    await page.reload();
    const cacheOnly = await mark();
    if (cacheOnly.source !== "cache") throw new Error("expected the cache to paint first");
    runs.cacheOnly.push(cacheOnly.at);
    await page.unroute("**/api/realtime/ticket");
    // Cached, server reachable: whichever comes first.
    await page.reload();
    const live = await mark();
    runs.cacheLive.push(live.at);
    winners.push(live.source);
    await page.waitForSelector('[data-dashboard-source="server"]');
    await new Promise((resolve) => setTimeout(resolve, 400));
    // No cache: everything from the server.
    await clearCache();
    await page.reload();
    const cold = await mark();
    if (cold.source !== "server") throw new Error("expected the server to paint first without a cache");
    runs.noCache.push(cold.at);
    await page.waitForSelector('[data-sync-status="connected"]');
    await new Promise((resolve) => setTimeout(resolve, 400));
    // The same two over a slow network: every request takes SLOW_LATENCY_MS longer (scripts come from the
    // HTTP cache either way).
    await setLatency(SLOW_LATENCY_MS);
    await page.reload();
    runs.slowCache.push((await mark()).at);
    await page.waitForSelector('[data-dashboard-source="server"]');
    await new Promise((resolve) => setTimeout(resolve, 400));
    await clearCache();
    await page.reload();
    runs.slowNoCache.push((await mark()).at);
    await page.waitForSelector('[data-sync-status="connected"]');
    await new Promise((resolve) => setTimeout(resolve, 400));
    await setLatency(0);
  }
  await page.close();
  return {
    cacheOnly: stats(runs.cacheOnly),
    cacheLive: stats(runs.cacheLive),
    noCache: stats(runs.noCache),
    slowCache: stats(runs.slowCache),
    slowNoCache: stats(runs.slowNoCache),
    cacheWon: winners.filter((source) => source === "cache").length,
  };
}

async function main() {
  const started = Date.now();
  const server = await startCliServer({
    dataDir: makeTempDir("agentboard-bench-"),
    env: { AGENTBOARD_RATE_LIMIT_PER_MINUTE: "1000000" },
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const created = await runCli([
      "token",
      "create",
      "--kind",
      "user",
      "--name",
      "admin",
      "--data-dir",
      server.dataDir,
    ]);
    const token = lastLine(created.stdout);
    const context = await browser.newContext({ ...DETERMINISTIC, serviceWorkers: "block" });
    const login = await context.newPage();
    await login.goto(server.loginUrl);
    await login.waitForSelector('[data-sync-status="connected"]');
    await login.close();

    const patch = await patchToPaint(server, token, context);
    const fmp = await firstMeaningfulPaint(server, token, context);

    console.log(
      `\n## Patch → paint in a second browser context (${PATCHES} patches per path, ${ROUNDS} alternating rounds)\n`,
    );
    console.log("| path | n | p50 ms | p90 ms | p99 ms | p50 vs raw |");
    console.log("| --- | --: | --: | --: | --: | --: |");
    const row = (name: string, s: Stats, base?: Stats) =>
      console.log(
        `| ${name} | ${s.n} | ${ms(s.p50)} | ${ms(s.p90)} | ${ms(s.p99)} | ${base ? `${(s.p50 / base.p50).toFixed(2)}×` : "1.00×"} |`,
      );
    row("raw WebSocket → textContent (baseline)", patch.raw);
    row("web app: SDK replica → zustand → React", patch.app, patch.raw);
    row("(writer's PATCH round trip, for scale)", patch.ack, patch.raw);

    console.log(
      `\n## First meaningful paint of a ${FMP_WIDGETS}-widget dashboard (${PAINT_RUNS} reloads each)\n`,
    );
    console.log("| load | p50 ms | p90 ms | max ms | p50 vs no cache |");
    console.log("| --- | --: | --: | --: | --: |");
    const fmpRow = (name: string, s: Stats) =>
      console.log(
        `| ${name} | ${ms(s.p50)} | ${ms(s.p90)} | ${ms(s.p99)} | ${(s.p50 / fmp.noCache.p50).toFixed(2)}× |`,
      );
    fmpRow("no cache (snapshot from the server)", fmp.noCache);
    fmpRow("cached, realtime blocked (cache only)", fmp.cacheOnly);
    fmpRow(`cached, server reachable (cache painted first ${fmp.cacheWon}/${PAINT_RUNS})`, fmp.cacheLive);
    console.log(`| **+${SLOW_LATENCY_MS} ms per request:** | | | | |`);
    const slowRow = (name: string, s: Stats) =>
      console.log(
        `| ${name} | ${ms(s.p50)} | ${ms(s.p90)} | ${ms(s.p99)} | ${(s.p50 / fmp.slowNoCache.p50).toFixed(2)}× |`,
      );
    slowRow("no cache", fmp.slowNoCache);
    slowRow("cached, server reachable", fmp.slowCache);

    const cpus = os.cpus();
    console.log(
      `\nmachine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? "unknown CPU"}), Node ${process.version}, ${os.platform()}/${os.arch()}, ${browser.version()}; run took ${Math.round((Date.now() - started) / 1000)} s`,
    );
  } finally {
    await browser.close();
    await server.stop();
    await cleanupCli();
  }
}

await main();
