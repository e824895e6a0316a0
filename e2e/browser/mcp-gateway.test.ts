import { writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliServer, cleanupCli, makeTempDir, startCliServer } from "../helpers/cli.js";
import { api, createToken, eventually, freshLoginUrl, signIn, signInToInbox } from "./helpers/app.js";
import { DETERMINISTIC, launchBrowser, openPage, type WatchedPage } from "./helpers/browser.js";

/** Our MCP test server (packages/server/test/mcp/fixtures): `increment` is destructive and counts its runs. */
const FIXTURE = fileURLToPath(
  new URL("../../packages/server/test/mcp/fixtures/fixture-server.mjs", import.meta.url),
);

/**
 * `agentboard start --config` with an upstream MCP server: an agent's call of its destructive tool over /mcp
 * waits in the signed-in user's inbox, and the human's click in Chromium decides whether it runs.
 */
describe("the MCP gateway's human gate, decided in Chromium", { timeout: 120_000 }, () => {
  let server: CliServer;
  let browser: Browser;
  let mcp: Client;
  let agentToken: string;
  let inbox: WatchedPage;
  let counterFile: string;

  beforeAll(async () => {
    const dataDir = makeTempDir();
    counterFile = join(dataDir, "executions.log");
    const configFile = join(dataDir, "agentboard.json");
    writeFileSync(
      configFile,
      JSON.stringify({
        mcpServers: {
          fixture: {
            command: process.execPath,
            args: [FIXTURE],
            env: { FIXTURE_COUNTER_FILE: counterFile },
          },
        },
      }),
    );
    [server, browser] = await Promise.all([
      startCliServer({ dataDir, args: ["--config", configFile] }),
      launchBrowser(),
    ]);
    agentToken = await createToken(server, "agent", "mcp-host");
    // The gateway connects in the background; wait (bounded) until the fixture's tools are offered.
    await eventually(
      async () => {
        const res = await api(server, agentToken).get("/api/mcp/servers");
        return (res.body as { items: Array<{ status: string }> }).items[0]?.status;
      },
      "connected",
      20_000,
    );
    mcp = new Client({ name: "e2e-host", version: "1.0.0" });
    await mcp.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${agentToken}` } },
      }),
    );
    const context = await browser.newContext({ ...DETERMINISTIC, serviceWorkers: "block" });
    inbox = await openPage(context);
    await signInToInbox(inbox.page, await freshLoginUrl(server));
  });

  afterAll(async () => {
    await mcp?.close();
    await browser?.close();
    await server?.stop();
    await cleanupCli();
  });

  const executions = async () =>
    (await readFile(counterFile, "utf8").catch(() => "")).split("\n").filter(Boolean).length;

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

  /** Opens the row's detail and checks it names the server, the tool and the exact arguments. */
  async function openAndCheck(id: string, by: number): Promise<void> {
    const row = inbox.page.locator(`[data-approval-id="${id}"]`);
    expect(await row.textContent()).toContain("fixture__increment");
    await inbox.page.locator(`[data-approval-select="${id}"]`).click();
    const detail = inbox.page.locator(`[data-approval-detail="${id}"]`);
    await detail.waitFor();
    expect(await detail.textContent()).toContain('MCP server "fixture"');
    expect(await detail.locator(".approval-detail__tool").textContent()).toContain("fixture__increment");
    expect(JSON.parse((await detail.locator("[data-approval-args]").textContent()) ?? "")).toEqual({ by });
  }

  it("a destructive upstream call waits until Approve is clicked, then runs exactly once", async () => {
    let settled = false;
    const call = mcp.callTool({ name: "fixture__increment", arguments: { by: 7 } }).finally(() => {
      settled = true;
    });
    const id = await nextRowId(inbox.page, new Set());
    await openAndCheck(id, 7);
    // Nobody decided: the upstream tool has not run and the caller still waits.
    expect(settled).toBe(false);
    expect(await executions()).toBe(0);
    await inbox.page.getByRole("button", { name: "Approve", exact: true }).click();
    const result = (await call) as { isError?: boolean; content: Array<{ text: string }> };
    expect(result.isError).toBeFalsy();
    expect(result.content[0]?.text).toBe("count is 1");
    expect(await executions()).toBe(1);
    await inbox.page.locator(`[data-approval-id="${id}"]`).waitFor({ state: "detached" });
    // A retry of the same call (same arguments, within 10 minutes) gets the recorded result: no second run.
    const retry = (await mcp.callTool({ name: "fixture__increment", arguments: { by: 7 } })) as typeof result;
    expect(retry.content[0]?.text).toBe("count is 1");
    expect(await executions()).toBe(1);
    expect(inbox.problems()).toEqual([]);
  });

  it("a call rejected in Chromium answers isError with the reason and never runs", async () => {
    const before = await executions();
    const call = mcp.callTool({ name: "fixture__increment", arguments: { by: 2 } });
    const id = await nextRowId(inbox.page, new Set());
    await openAndCheck(id, 2);
    await inbox.page.getByLabel(/Reason/).fill("Not on a Friday");
    await inbox.page.getByRole("button", { name: "Reject", exact: true }).click();
    const result = (await call) as { isError?: boolean; content: Array<{ text: string }> };
    expect(result.isError).toBe(true);
    expect(result.content.map((part) => part.text).join("\n")).toContain("Not on a Friday");
    expect(await executions()).toBe(before);
    expect(inbox.problems()).toEqual([]);
  });

  it("the Health page shows an upstream that dies as down and then up again, without a reload", async () => {
    const health = await openPage(await browser.newContext({ ...DETERMINISTIC, serviceWorkers: "block" }));
    await signIn(health.page, await freshLoginUrl(server), "/health");
    const row = health.page.locator('[data-mcp-server="fixture"]');
    await health.page.waitForSelector('[data-mcp-server="fixture"][data-mcp-status="connected"]');
    expect(await row.textContent()).toContain("closed"); // the breaker
    // Every status the row takes, recorded in the page: the down phase lasts only until the reconnect
    // (backoff from 0.5 s), and the record is lost if the page reloads.
    await health.page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { mcpStatuses: string[] }).mcpStatuses = seen;
      new MutationObserver(() => {
        const status = document.querySelector('[data-mcp-server="fixture"]')?.getAttribute("data-mcp-status");
        if (status && seen.at(-1) !== status) seen.push(status);
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    const servers = async () =>
      ((await api(server, agentToken).get("/api/mcp/servers")).body as { items: Array<{ pid?: number }> })
        .items;
    const pid = (await servers())[0]?.pid;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, "SIGKILL");
    await health.page.waitForFunction(
      () => {
        const seen = (window as unknown as { mcpStatuses?: string[] }).mcpStatuses ?? [];
        const down = seen.indexOf("down");
        return down >= 0 && seen.indexOf("connected", down) > down;
      },
      undefined,
      { timeout: 20_000 },
    );
    expect(await row.getAttribute("data-mcp-status")).toBe("connected");
    // A new process: the old one is gone for good.
    expect((await servers())[0]?.pid).not.toBe(pid);
    expect(await row.textContent()).toContain("connection closed"); // the last error stays on the row
    expect(health.problems()).toEqual([]);
  });
});
