import { eventually } from "@agentboard/test-support";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  a2aClient,
  artifactData,
  getTask,
  send,
  stateOf,
} from "../../packages/server/test/mesh/a2a-helpers.js";
import { type CliServer, cleanupCli, makeTempDir, startCliServer } from "../helpers/cli.js";
import { createToken, freshLoginUrl, signInToInbox } from "./helpers/app.js";
import { DETERMINISTIC, launchBrowser, openPage, type WatchedPage } from "./helpers/browser.js";

/**
 * Another agent asks a human through agentboard over A2A (the SDK's ClientFactory client against a real
 * `agentboard start`): the request shows up in the signed-in user's inbox and the click completes the task.
 */
describe("agentboard as an A2A agent, decided in Chromium", { timeout: 90_000 }, () => {
  let server: CliServer;
  let browser: Browser;
  let inbox: WatchedPage;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startCliServer({ dataDir: makeTempDir() }), launchBrowser()]);
    const context = await browser.newContext({ ...DETERMINISTIC, serviceWorkers: "block" });
    inbox = await openPage(context);
    await signInToInbox(inbox.page, await freshLoginUrl(server));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await cleanupCli();
  });

  it("a request_approval task stays working until Approve is clicked, then completes with the decision", async () => {
    const client = await a2aClient(server.url, await createToken(server, "agent", "a2a-peer"));
    const task = await send(client, "request_approval", {
      type: "deploy",
      title: "Deploy web 3.0 (asked over A2A)",
      action: { tool: "deploy", args: { version: "3.0.0" } },
    });
    expect(stateOf(task)).toBe("TASK_STATE_WORKING");
    const id = task.metadata?.approvalId as string;
    const row = inbox.page.locator(`[data-approval-id="${id}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain("Deploy web 3.0 (asked over A2A)");
    expect(stateOf(await getTask(client, task.id))).toBe("TASK_STATE_WORKING");

    await inbox.page.locator(`[data-approval-select="${id}"]`).click();
    await inbox.page.getByRole("button", { name: "Approve", exact: true }).click();
    await row.waitFor({ state: "detached" });
    // The row leaves once the decision is stored; the task follows from the same bus event.
    const done = await eventually(
      () => getTask(client, task.id),
      (t) => stateOf(t) !== "TASK_STATE_WORKING",
    );
    expect(stateOf(done)).toBe("TASK_STATE_COMPLETED");
    expect(artifactData(done, "decision")).toMatchObject({ approvalId: id, status: "approved" });
    expect(inbox.problems()).toEqual([]);
  });
});
