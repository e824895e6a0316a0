import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from "playwright-core";

/** Debian's chromium with the flags docs/engineering.md lists. */
export const CHROMIUM_PATH = process.env.AGENTBOARD_CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/**
 * A context that renders the same everywhere: fixed viewport and scale, en-US in UTC, light scheme and
 * reduced motion (the app then turns every animation off).
 */
export const DETERMINISTIC: BrowserContextOptions = {
  viewport: { width: 1280, height: 900 },
  deviceScaleFactor: 1,
  locale: "en-US",
  timezoneId: "UTC",
  colorScheme: "light",
  reducedMotion: "reduce",
};

export interface WatchedPage {
  page: Page;
  /** Uncaught exceptions and console errors seen so far, minus the allowed ones. */
  problems(): string[];
}

/**
 * Records page errors and console errors; `allow` lists patterns a test expects (a stopped server makes
 * the browser log failed requests). A dialog (alert/confirm) always counts: agent data must never open one.
 */
export async function openPage(context: BrowserContext, allow: RegExp[] = []): Promise<WatchedPage> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const text = message.text();
    if (!allow.some((pattern) => pattern.test(text))) problems.push(`console.error: ${text}`);
  });
  page.on("dialog", (dialog) => {
    problems.push(`dialog: ${dialog.type()} ${dialog.message()}`);
    void dialog.dismiss();
  });
  return { page, problems: () => [...problems] };
}

/** Requests that fail while a server is down or a request is blocked on purpose. */
export const NETWORK_FAILURES = [/Failed to load resource/, /net::ERR_/, /WebSocket connection to .* failed/];
