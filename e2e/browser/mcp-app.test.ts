import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { MCP_WIDGET_APP_URI } from "@agentboard/protocol";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { getToolUiResourceUri } from "@modelcontextprotocol/ext-apps/app-bridge";
import { build } from "esbuild";
import type { Browser, FrameLocator } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliServer, cleanupCli, lastLine, makeTempDir, runCli, startCliServer } from "../helpers/cli.js";
import { api, createToken, freshLoginUrl, ownerIdOf, signIn } from "./helpers/app.js";
import { DETERMINISTIC, launchBrowser, openPage, type WatchedPage } from "./helpers/browser.js";

const HOST_ENTRY = fileURLToPath(new URL("./mcp-app-host/host.ts", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const DOCS_SECTION = "## agentboard in an MCP host";
/** The address the docs' snippet uses (the server's default). */
const DOCS_URL = "http://127.0.0.1:7800";

/** The ```ts block of docs/mcp.md's MCP host section, as a reader copies it. */
function docsSnippet(): string {
  const doc = readFileSync(join(REPO_ROOT, "docs", "mcp.md"), "utf8");
  const start = doc.indexOf(`\n${DOCS_SECTION}\n`);
  expect(start, `docs/mcp.md has no "${DOCS_SECTION}" section`).toBeGreaterThan(-1);
  const end = doc.indexOf("\n## ", start + 1);
  const blocks = [...doc.slice(start, end === -1 ? undefined : end).matchAll(/```ts\n([\s\S]*?)```/g)];
  expect(blocks, "the MCP host section has one ts block").toHaveLength(1);
  return blocks[0]![1]!;
}

/** The host page's script: ext-apps' AppBridge and our few lines around it, bundled for the browser. */
async function bundleHost(): Promise<string> {
  const result = await build({
    entryPoints: [HOST_ENTRY],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2022",
    logLevel: "silent",
  });
  return result.outputFiles[0]!.text;
}

/**
 * The look of a widget as the browser computes it: the root, the title and everything in the body, each
 * with its tag, classes and the styles that make its appearance (size-dependent ones left out). Runs in the
 * page, so it is self-contained.
 */
function lookOf(root: Element): string[][] {
  const properties = [
    "color",
    "background-color",
    "font-family",
    "font-size",
    "font-weight",
    "line-height",
    "border-top-color",
    "border-top-width",
    "border-top-left-radius",
    "padding-top",
    "padding-left",
    "display",
  ];
  const body = Array.from(root.querySelectorAll(".widget__body *"));
  const elements = [root, root.querySelector(".widget__title"), ...body];
  return elements.map((element) => {
    if (!element) return ["missing"];
    const style = getComputedStyle(element);
    const own = [element.tagName, element.getAttribute("class") ?? ""];
    return [...own, ...properties.map((property) => style.getPropertyValue(property))];
  });
}

interface ToolCall {
  name: string;
  arguments?: Record<string, unknown>;
}

/**
 * agentboard's widget view (`ui://agentboard/widget`) in a minimal MCP Apps host: the HTML comes from
 * resources/read over /mcp, runs in a sandboxed iframe, gets a tool result through ext-apps' AppBridge,
 * and refreshes with read_dashboard through that bridge — the host's MCP client, never a network of its own.
 */
describe("MCP Apps: agentboard's widget view in a host", { timeout: 120_000 }, () => {
  let server: CliServer;
  let browser: Browser;
  let mcp: Client;
  let html: string;
  let hostScript: string;
  let ownerId: string;
  let ownerToken: string;

  beforeAll(async () => {
    [server, browser, hostScript] = await Promise.all([
      startCliServer({ dataDir: makeTempDir() }),
      launchBrowser(),
      bundleHost(),
    ]);
    const agentToken = await createToken(server, "agent", "mcp-apps-host");
    ownerToken = await createToken(server, "user", "admin");
    ownerId = await ownerIdOf(server, agentToken);
    mcp = new Client({ name: "e2e-mcp-apps-host", version: "1.0.0" });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${agentToken}` } },
      }),
    );
    // As a host does it: the tool's `_meta` names the view, resources/read gives its HTML.
    const { tools } = await mcp.listTools();
    const uri = getToolUiResourceUri(tools.find((tool) => tool.name === "render_widget")!);
    expect(uri).toBe(MCP_WIDGET_APP_URI);
    const read = await mcp.readResource({ uri: uri! });
    html = (read.contents[0] as { text: string }).text;
  });

  afterAll(async () => {
    await mcp?.close();
    await browser?.close();
    await server?.stop();
    await cleanupCli();
  });

  /** A fresh host page with the view shown for one tool call; records every call and request it makes. */
  async function hostPage(toolInput: Record<string, unknown>, toolResult: unknown, allow: RegExp[] = []) {
    const context = await browser.newContext(DETERMINISTIC);
    const watched: WatchedPage = await openPage(context, allow);
    const { page } = watched;
    const requests: string[] = [];
    page.on("request", (request) => requests.push(request.url()));
    const calls: ToolCall[] = [];
    await page.exposeFunction("hostCallTool", async (params: ToolCall) => {
      calls.push(params);
      return mcp.callTool(params);
    });
    await page.setContent("<!doctype html><html><head><title>host</title></head><body></body></html>");
    await page.addScriptTag({ content: hostScript });
    await page.evaluate(([h, input, result]) => window.mcpAppHost.show(h, input, result as never), [
      html,
      toolInput,
      toolResult,
    ] as const);
    const view: FrameLocator = page.frameLocator('iframe[title="agentboard widget"]');
    return { context, page, watched, view, calls, requests };
  }

  it("shows render_widget's result, and a change made over REST after a Refresh through the bridge", async () => {
    const dashboardId = `user:${ownerId}`;
    const toolInput = {
      dashboardId,
      widget: {
        id: "deploy",
        type: "project_status",
        title: "Deploy 2.0",
        props: { name: "Deploy 2.0", status: "on_track", progress: 40 },
      },
    };
    const rendered = await mcp.callTool({ name: "render_widget", arguments: toolInput });
    expect(rendered.isError).toBeFalsy();

    const { context, watched, view, calls, requests } = await hostPage(toolInput, rendered);
    try {
      const widget = view.locator('[data-widget-id="deploy"]');
      await widget.waitFor({ timeout: 20_000 });
      expect(await widget.getAttribute("data-widget-type")).toBe("project_status");
      expect(await widget.getAttribute("data-widget-status")).toBe("ready");
      await expect.poll(() => widget.locator(".widget__title").textContent()).toBe("Deploy 2.0");
      expect(await widget.textContent()).toContain("40%");

      // Someone else changes the widget over REST.
      const owner = api(server, ownerToken);
      const before = await owner.get("/api/dashboards/me/state");
      const patched = await owner.patch("/api/dashboards/me/state", {
        baseRev: before.body.rev,
        ops: [
          { op: "replace", path: "/widgets/deploy/title", value: "Deploy 2.0 (shipped)" },
          { op: "replace", path: "/widgets/deploy/props/status", value: "done" },
          { op: "replace", path: "/widgets/deploy/props/progress", value: 100 },
        ],
      });
      expect(patched.status, JSON.stringify(patched.body)).toBe(200);
      // The view has no way to hear of it by itself: it still shows what it was given.
      expect(await widget.locator(".widget__title").textContent()).toBe("Deploy 2.0");

      await view.getByRole("button", { name: "Refresh" }).click();
      await expect
        .poll(() => widget.locator(".widget__title").textContent(), { timeout: 20_000 })
        .toBe("Deploy 2.0 (shipped)");
      expect(await widget.textContent()).toContain("100%");
      expect(await view.locator("main").getAttribute("data-rev")).toBe(String(patched.body.rev));

      // Exactly one call went through the host: read_dashboard, for the dashboard the tool drew on.
      // (The view's SDK adds a progressToken in `_meta`: not a different call.)
      expect(calls.map(({ name, arguments: args }) => ({ name, arguments: args }))).toEqual([
        { name: "read_dashboard", arguments: { dashboardId } },
      ]);
      // No network of its own: the host page was set from a string, and the view fetched nothing.
      expect(requests).toEqual([]);
      expect(watched.problems()).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("docs/mcp.md: the host snippet runs as written (tsx) and finds, reads and feeds the view", async () => {
    const written = docsSnippet();
    expect(written).toContain(DOCS_URL);
    // Next to the repository's node_modules, so its imports resolve as in a project that installed them.
    const dir = join(REPO_ROOT, "node_modules", ".cache", "agentboard-docs");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `mcp-host-${process.pid}.mts`);
    // The one change: the docs' default URL becomes this server's (started with --port 0).
    writeFileSync(file, written.replaceAll(DOCS_URL, server.url));
    try {
      const run = await runCli([], {
        cli: { command: process.execPath, args: ["--import", "tsx", file] },
        cwd: REPO_ROOT,
        env: { AGENTBOARD_TOKEN: ownerToken },
        timeoutMs: 60_000,
      });
      const output = `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
      expect(run.code, output).toBe(0);
      const printed = JSON.parse(lastLine(run.stdout)) as {
        uri: string;
        mimeType: string;
        bytes: number;
        rev: number;
      };
      expect(printed).toMatchObject({ uri: MCP_WIDGET_APP_URI, mimeType: "text/html;profile=mcp-app" });
      expect(printed.bytes).toBe(html.length);
      // The snippet's render_widget landed on the token owner's own dashboard, at the rev it printed.
      const state = await api(server, ownerToken).get("/api/dashboards/me/state");
      expect(state.body.state.widgets.hello).toMatchObject({ type: "note", title: "Hello" });
      expect(state.body.rev).toBeGreaterThanOrEqual(printed.rev);
    } finally {
      rmSync(file, { force: true });
    }
  });

  it("shows read_dashboard's result: every placed widget, in reading order, with the web app's hooks", async () => {
    const dashboardId = `user:${ownerId}`;
    const alert = {
      id: "incident",
      type: "alert",
      title: "Incident",
      props: { severity: "warning", message: "API slow" },
    };
    const rendered = await mcp.callTool({ name: "render_widget", arguments: { dashboardId, widget: alert } });
    expect(rendered.isError).toBeFalsy();
    const result = await mcp.callTool({ name: "read_dashboard", arguments: { dashboardId } });
    const { state } = result.structuredContent as {
      state: {
        layout: { items: Array<{ widgetId: string; x: number; y: number }> };
        widgets: Record<string, { type: string }>;
      };
    };
    // Reading order of the grid: top to bottom, then left to right.
    const expected = [...state.layout.items]
      .sort((a, b) => a.y - b.y || a.x - b.x)
      .map((item) => [item.widgetId, state.widgets[item.widgetId]!.type]);
    expect(expected.length).toBeGreaterThanOrEqual(2);

    const { context, watched, view, calls } = await hostPage({ dashboardId }, result);
    try {
      await view.locator('[data-widget-id="incident"]').waitFor({ timeout: 20_000 });
      const shown = await view
        .locator("[data-widget-id]")
        .evaluateAll((nodes) =>
          nodes.map((node) => [node.getAttribute("data-widget-id"), node.getAttribute("data-widget-type")]),
        );
      expect(shown).toEqual(expected);
      // "deploy" (the first test's) came first, at the top; "incident" was placed at the bottom.
      expect(shown[0]).toEqual(["deploy", "project_status"]);
      expect(shown.at(-1)).toEqual(["incident", "alert"]);
      expect(await view.locator('[data-widget-id="incident"]').textContent()).toContain("API slow");
      expect(calls).toEqual([]);
      expect(watched.problems()).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("the view's own CSP refuses a connection it might try: no request leaves the frame", async () => {
    const widget = { id: "csp-probe", type: "note", title: "CSP", props: { markdown: "probe" } };
    const rendered = await mcp.callTool({
      name: "render_widget",
      arguments: { widget, dashboardId: `user:${ownerId}` },
    });
    const refused = [/Refused to connect/, /Failed to fetch/];
    const { context, page, view, requests } = await hostPage({ widget }, rendered, refused);
    try {
      await view.locator('[data-widget-id="csp-probe"]').waitFor({ timeout: 20_000 });
      const frame = page.frames().find((candidate) => candidate !== page.mainFrame())!;
      const outcome = await frame.evaluate(async (url) => {
        const violation = new Promise<string>((resolve) => {
          document.addEventListener("securitypolicyviolation", (event) => resolve(event.effectiveDirective), {
            once: true,
          });
          setTimeout(() => resolve("no violation within 5 s"), 5_000);
        });
        const fetched = await fetch(url).then(
          () => "fetched",
          () => "refused",
        );
        return { fetched, directive: await violation };
      }, `${server.url}/healthz`);
      expect(outcome).toEqual({ fetched: "refused", directive: "connect-src" });
      // Refused by the policy before it was sent (a CORS failure would have sent it first).
      expect(requests).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it("looks as in the web app: the same elements with the same computed styles", async () => {
    const dashboardId = `user:${ownerId}`;
    const widget = {
      id: "look",
      type: "project_status",
      title: "Launch",
      props: {
        name: "Launch",
        status: "at_risk",
        progress: 65,
        due: "2030-01-15",
        milestones: [
          { title: "Design", done: true },
          { title: "Ship", done: false },
        ],
      },
    };
    const rendered = await mcp.callTool({ name: "render_widget", arguments: { dashboardId, widget } });
    const { context, view } = await hostPage({ dashboardId, widget }, rendered);
    const webContext = await browser.newContext({ ...DETERMINISTIC, serviceWorkers: "block" });
    try {
      const web = await openPage(webContext);
      await signIn(web.page, await freshLoginUrl(server));
      const inWeb = web.page.locator('[data-widget-id="look"]');
      const inView = view.locator('[data-widget-id="look"]');
      await Promise.all([inWeb.waitFor({ timeout: 20_000 }), inView.waitFor({ timeout: 20_000 })]);
      const [webLook, viewLook] = await Promise.all([inWeb.evaluate(lookOf), inView.evaluate(lookOf)]);
      expect(webLook.length).toBeGreaterThan(10);
      expect(viewLook).toEqual(webLook);
      expect(web.problems()).toEqual([]);
    } finally {
      await webContext.close();
      await context.close();
    }
  });

  it("opened without a host it says so instead of waiting", async () => {
    const context = await browser.newContext(DETERMINISTIC);
    try {
      const { page, problems } = await openPage(context);
      await page.setContent(html);
      const note = page.locator('main[data-mcp-app-phase="error"] [role="alert"]');
      await note.waitFor({ timeout: 20_000 });
      expect(await note.textContent()).toMatch(/^No MCP Apps host answered/);
      expect(problems()).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
