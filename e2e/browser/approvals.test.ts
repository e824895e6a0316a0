import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CliServer,
  cleanupCli,
  makeTempDir,
  spawnTracked,
  startCliServer,
  type TrackedChild,
} from "../helpers/cli.js";
import { createToken, eventually, freshLoginUrl, signInToInbox } from "./helpers/app.js";
import { DETERMINISTIC, launchBrowser, openPage, type WatchedPage } from "./helpers/browser.js";

const APPROVAL_AGENT = fileURLToPath(new URL("../../examples/demo/approval-agent.mjs", import.meta.url));

interface AgentRun {
  child: TrackedChild;
  output(): string;
}

/** The demo approval agent, asking once and waiting for the decision. */
function runApprovalAgent(server: CliServer, token: string): AgentRun {
  const child = spawnTracked(process.execPath, [APPROVAL_AGENT, "--once"], {
    env: { AGENTBOARD_URL: server.url, AGENTBOARD_TOKEN: token },
    cwd: fileURLToPath(new URL("../..", import.meta.url)),
  });
  let output = "";
  child.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  child.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  return { child, output: () => output };
}

async function requestedId(run: AgentRun): Promise<string> {
  let id: string | undefined;
  await eventually(async () => {
    id = /requested approval (\S+)/.exec(run.output())?.[1];
    return id !== undefined;
  }, true);
  return id!;
}

const row = (page: Page, id: string) => page.locator(`[data-approval-id="${id}"]`);

describe("approval inbox", { timeout: 60_000 }, () => {
  let server: CliServer;
  let browser: Browser;
  let agentToken: string;
  let a: WatchedPage;
  let b: WatchedPage;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startCliServer({ dataDir: makeTempDir() }), launchBrowser()]);
    agentToken = await createToken(server, "agent", "deploy-bot");
    // Two devices of the same user, both on the inbox.
    const contexts = await Promise.all(
      [1, 2].map(() => browser.newContext({ ...DETERMINISTIC, serviceWorkers: "block" })),
    );
    const pages = await Promise.all(contexts.map((context) => openPage(context)));
    a = pages[0]!;
    b = pages[1]!;
    await signInToInbox(a.page, await freshLoginUrl(server));
    await signInToInbox(b.page, await freshLoginUrl(server));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await cleanupCli();
  });

  it("a request appears live on both devices; approving with the keyboard removes it from both and the agent goes on", async () => {
    const run = runApprovalAgent(server, agentToken);
    const id = await requestedId(run);
    for (const { page } of [a, b]) {
      await row(page, id).waitFor();
      expect(await row(page, id).getAttribute("data-approval-status")).toBe("pending");
      expect(await page.locator("[data-pending-count]").getAttribute("data-pending-count")).toBe("1");
    }
    const text = await row(a.page, id).textContent();
    expect(text).toContain("Deploy web-frontend 1.8.3 to production");
    expect(text).toMatch(/High/);
    expect(text).toMatch(/Quick review/i);
    expect(text).toMatch(/expires in \d+m \d{2}s/);
    // The detail shows the exact action and arguments.
    const detail = a.page.locator(`[data-approval-detail="${id}"]`);
    await detail.waitFor();
    expect(await detail.locator("[data-approval-args]").textContent()).toContain('"version": "1.8.3"');

    await a.page.keyboard.press("j");
    await a.page.keyboard.press("a");
    for (const { page } of [a, b]) await row(page, id).waitFor({ state: "detached" });
    expect(await b.page.locator("[data-pending-count]").count()).toBe(0);
    const exit = await run.child.exited;
    expect(exit.code).toBe(0);
    expect(run.output()).toMatch(new RegExp(`approval ${id} approved by user:\\S+; running deploy`));
    expect([...a.problems(), ...b.problems()]).toEqual([]);
  });

  it("cancel sends the reason to the waiting agent; r + Enter rejects with a reason", async () => {
    const cancelled = runApprovalAgent(server, agentToken);
    const cancelId = await requestedId(cancelled);
    await row(b.page, cancelId).waitFor();
    await row(a.page, cancelId).waitFor();
    await b.page.locator(`[data-approval-select="${cancelId}"]`).click();
    await b.page.getByLabel(/Reason/).fill("Release postponed to Monday");
    await b.page.getByRole("button", { name: "Cancel request" }).click();
    for (const { page } of [a, b]) await row(page, cancelId).waitFor({ state: "detached" });
    expect((await cancelled.child.exited).code).toBe(0);
    expect(cancelled.output()).toContain(`approval ${cancelId} cancelled by user:`);
    expect(cancelled.output()).toContain("(reason: Release postponed to Monday)");

    const rejected = runApprovalAgent(server, agentToken);
    const rejectId = await requestedId(rejected);
    await row(a.page, rejectId).waitFor();
    await a.page.locator("body").click({ position: { x: 5, y: 300 } });
    await a.page.keyboard.press("r");
    await a.page.keyboard.type("Not during the freeze");
    await a.page.keyboard.press("Enter");
    for (const { page } of [a, b]) await row(page, rejectId).waitFor({ state: "detached" });
    expect((await rejected.child.exited).code).toBe(0);
    expect(rejected.output()).toContain(`approval ${rejectId} rejected by user:`);
    expect(rejected.output()).toContain("(reason: Not during the freeze)");
    expect([...a.problems(), ...b.problems()]).toEqual([]);
  });

  it("bulk: select all and approve decides every request at once", async () => {
    const runs = [runApprovalAgent(server, agentToken), runApprovalAgent(server, agentToken)];
    const ids = await Promise.all(runs.map(requestedId));
    for (const id of ids) await row(a.page, id).waitFor();
    await eventually(async () => b.page.locator("[data-approval-id]").count(), 2);
    await a.page.getByLabel("Select all").check();
    await a.page.getByRole("button", { name: "Approve selected" }).click();
    for (const { page } of [a, b]) {
      for (const id of ids) await row(page, id).waitFor({ state: "detached" });
    }
    for (const run of runs) {
      expect((await run.child.exited).code).toBe(0);
      expect(run.output()).toMatch(/approved by user:/);
    }
    expect([...a.problems(), ...b.problems()]).toEqual([]);
  });
});
