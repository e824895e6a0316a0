import { fileURLToPath } from "node:url";
import { MCP_WIDGET_APP_URI } from "@agentboard/protocol";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { getToolUiResourceUri } from "@modelcontextprotocol/ext-apps/app-bridge";
import { build } from "esbuild";
import type { Browser, FrameLocator } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliServer, cleanupCli, makeTempDir, startCliServer } from "../helpers/cli.js";
import { api, createToken } from "./helpers/app.js";
import { DETERMINISTIC, launchBrowser, openPage, type WatchedPage } from "./helpers/browser.js";

const HOST_ENTRY = fileURLToPath(new URL("./mcp-app-host/host.ts", import.meta.url));

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
    const members = await api(server, agentToken).get("/api/members");
    ownerId = (members.body as { items: Array<{ id: string; role?: string }> }).items.find(
      (member) => member.role === "owner",
    )!.id;
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
  async function hostPage(toolInput: Record<string, unknown>, toolResult: unknown) {
    const context = await browser.newContext(DETERMINISTIC);
    const watched: WatchedPage = await openPage(context);
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
    return { context, watched, view, calls, requests };
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
    const state = (result.structuredContent as { state: { widgets: Record<string, unknown> } }).state;

    const { context, watched, view, calls } = await hostPage({ dashboardId }, result);
    try {
      await view.locator('[data-widget-id="incident"]').waitFor({ timeout: 20_000 });
      const shown = await view
        .locator("[data-widget-id]")
        .evaluateAll((nodes) =>
          nodes.map((node) => [node.getAttribute("data-widget-id"), node.getAttribute("data-widget-type")]),
        );
      // "deploy" was placed first (top of the grid), "incident" below it.
      expect(shown).toEqual([
        ["deploy", "project_status"],
        ["incident", "alert"],
      ]);
      expect(Object.keys(state.widgets).sort()).toEqual(["deploy", "incident"]);
      expect(await view.locator('[data-widget-id="incident"]').textContent()).toContain("API slow");
      expect(calls).toEqual([]);
      expect(watched.problems()).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
