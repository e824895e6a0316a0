import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliServer, cleanupCli, makeTempDir, startCliServer } from "../helpers/cli.js";
import { createToken, freshLoginUrl, ownerIdOf, signIn, signInToInbox } from "./helpers/app.js";
import { DETERMINISTIC, launchBrowser, openPage, type WatchedPage } from "./helpers/browser.js";

/**
 * An MCP host (the v1 SDK client most hosts run) connected to a real `agentboard start` with an agent token:
 * what it does through /mcp shows up in the signed-in user's browser, and a human's click reaches it.
 */
describe("agentboard as an MCP server, seen in Chromium", { timeout: 90_000 }, () => {
  let server: CliServer;
  let browser: Browser;
  let mcp: Client;
  let ownerId: string;
  let dashboard: WatchedPage;
  let inbox: WatchedPage;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startCliServer({ dataDir: makeTempDir() }), launchBrowser()]);
    const agentToken = await createToken(server, "agent", "mcp-host");
    ownerId = await ownerIdOf(server, agentToken);
    mcp = new Client({ name: "e2e-host", version: "1.0.0" });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${agentToken}` } },
      }),
    );
    const contexts = await Promise.all(
      [1, 2].map(() => browser.newContext({ ...DETERMINISTIC, serviceWorkers: "block" })),
    );
    const pages = await Promise.all(contexts.map((context) => openPage(context)));
    dashboard = pages[0]!;
    inbox = pages[1]!;
    await signIn(dashboard.page, await freshLoginUrl(server));
    await signInToInbox(inbox.page, await freshLoginUrl(server));
  });

  afterAll(async () => {
    await mcp?.close();
    await browser?.close();
    await server?.stop();
    await cleanupCli();
  });

  const row = (page: Page, id: string) => page.locator(`[data-approval-id="${id}"]`);

  /** The id of the next approval that appears in the inbox (it shows every pending request live). */
  async function nextRowId(page: Page, known: Set<string>): Promise<string> {
    const handle = await page.waitForFunction(
      (seen) =>
        Array.from(document.querySelectorAll("[data-approval-id]"))
          .map((el) => el.getAttribute("data-approval-id"))
          .find((id) => id && !seen.includes(id)) ?? null,
      [...known],
      { timeout: 20_000 },
    );
    return String(await handle.jsonValue());
  }

  it("render_widget appears in the open tab", async () => {
    const result = await mcp.callTool({
      name: "render_widget",
      arguments: {
        dashboardId: `user:${ownerId}`,
        widget: {
          id: "mcp-release",
          type: "project_status",
          title: "Release 2.0 (via MCP)",
          props: { name: "Release 2.0", status: "on_track", progress: 40 },
        },
      },
    });
    expect(result.isError).toBeFalsy();
    const widget = dashboard.page.locator('[data-widget-id="mcp-release"]');
    await widget.waitFor();
    expect(await widget.getAttribute("data-widget-type")).toBe("project_status");
    expect(await widget.textContent()).toContain("Release 2.0 (via MCP)");

    await mcp.callTool({
      name: "remove_widget",
      arguments: { dashboardId: `user:${ownerId}`, widgetId: "mcp-release" },
    });
    await widget.waitFor({ state: "detached" });
    expect(dashboard.problems()).toEqual([]);
  });

  it("request_approval waits until Approve is clicked in the inbox", async () => {
    const known = new Set<string>();
    const call = mcp.callTool({
      name: "request_approval",
      arguments: {
        type: "deploy",
        title: "Deploy web 2.0 (asked over MCP)",
        action: { tool: "deploy", args: { version: "2.0.0" } },
      },
    });
    let settled = false;
    void call.finally(() => {
      settled = true;
    });
    const id = await nextRowId(inbox.page, known);
    expect(await row(inbox.page, id).textContent()).toContain("Deploy web 2.0 (asked over MCP)");
    // Still waiting: nobody decided yet.
    expect(settled).toBe(false);
    await inbox.page.locator(`[data-approval-select="${id}"]`).click();
    await inbox.page.getByRole("button", { name: "Approve", exact: true }).click();
    const result = (await call) as unknown as {
      structuredContent: { approval: { id: string; status: string; decidedBy?: unknown } };
    };
    expect(result.structuredContent.approval).toMatchObject({ id, status: "approved" });
    await row(inbox.page, id).waitFor({ state: "detached" });
    expect(inbox.problems()).toEqual([]);
  });

  it("cancelling the MCP request ends the wait; the approval stays pending in the inbox", async () => {
    const controller = new AbortController();
    const call = mcp.callTool(
      { name: "request_approval", arguments: { type: "deploy", title: "Maybe later (asked over MCP)" } },
      undefined,
      { signal: controller.signal },
    );
    const id = await nextRowId(inbox.page, new Set());
    controller.abort("the host gave up");
    await expect(call).rejects.toThrow();
    // The approval was not touched by the cancellation: still pending, still in the inbox.
    expect(await row(inbox.page, id).getAttribute("data-approval-status")).toBe("pending");
    const stored = await mcp.callTool({ name: "get_approval", arguments: { id } });
    expect(
      (stored as unknown as { structuredContent: { approval: { status: string } } }).structuredContent
        .approval.status,
    ).toBe("pending");
  });
});
