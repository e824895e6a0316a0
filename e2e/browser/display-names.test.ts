import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliServer, cleanupCli, makeTempDir, runCli, startCliServer } from "../helpers/cli.js";
import { api, createToken, freshLoginUrl, signIn, signInToInbox } from "./helpers/app.js";
import { DETERMINISTIC, launchBrowser, openPage, type WatchedPage } from "./helpers/browser.js";

/** Text of every element matching `selector` in the page, in document order. */
const texts = (page: Page, selector: string) =>
  page.locator(selector).evaluateAll((nodes) => nodes.map((node) => node.textContent ?? ""));

/** Waits until some element matching `selector` has exactly `text`. */
async function waitForText(page: Page, selector: string, text: string): Promise<void> {
  await page.waitForFunction(
    ([css, expected]) =>
      Array.from(document.querySelectorAll(css!)).some((node) => node.textContent === expected),
    [selector, text] as const,
    { timeout: 10_000 },
  );
}

const markSameDocument = (page: Page) =>
  page.evaluate(() => {
    (window as unknown as { sameDocument: boolean }).sameDocument = true;
  });
const isSameDocument = (page: Page) =>
  page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument === true);

/**
 * Issue 16: the web app shows agents by the directory's display name (inbox requester, activity, widget
 * attribution, task assignees written as ids), ids stay underneath (tooltips, data attributes), and a rename reaches open pages live.
 */
describe("display names from the agent directory, in Chromium", { timeout: 120_000 }, () => {
  let server: CliServer;
  let browser: Browser;
  let dashboard: WatchedPage;
  let inbox: WatchedPage;
  let owner: ReturnType<typeof api>;
  let ownerToken: string;
  let agent: ReturnType<typeof api>;
  let agentId: string;
  let ownerId: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startCliServer({ dataDir: makeTempDir() }), launchBrowser()]);
    // "admin" is the owner `start` created: an admin of the directory, and the one whose board we open.
    ownerToken = await createToken(server, "user", "admin");
    owner = api(server, ownerToken);
    agent = api(server, await createToken(server, "agent", "deploy-bot"));
    ownerId = (await owner.get("/api/me")).body.principal.id;
    agentId = (await agent.get("/api/me")).body.principal.id;
    const named = await owner.patch(`/api/agents/${agentId}`, { displayName: "Deploy Captain" });
    expect(named.status, JSON.stringify(named.body)).toBe(200);

    const context = await browser.newContext({ ...DETERMINISTIC, serviceWorkers: "block" });
    [dashboard, inbox] = await Promise.all([openPage(context), openPage(context)]);
    await signIn(dashboard.page, await freshLoginUrl(server));
    await signInToInbox(inbox.page, await freshLoginUrl(server));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await cleanupCli();
  });

  it("inbox, activity, widget attribution and task assignees show the display name; a rename shows without a reload", async () => {
    const widget = await agent.put(`/api/dashboards/user:${ownerId}/widgets/deploys`, {
      type: "activity",
      title: "Deploys",
      props: {
        entries: [
          // An agent writes its own name (or an alias) as the actor: the app shows its display name.
          { id: "e1", at: new Date().toISOString(), actor: "deploy-bot", text: "Rolled out web 2.4" },
          { id: "e2", at: new Date().toISOString(), actor: "ci", text: "Built web 2.4" },
        ],
      },
    });
    expect(widget.status, JSON.stringify(widget.body)).toBe(200);
    // Agents often write a principal's id as a task's assignee: an agent's, a member's, or a free label.
    const tasks = await agent.put(`/api/dashboards/user:${ownerId}/widgets/rollout`, {
      type: "task_list",
      title: "Rollout",
      props: {
        tasks: [
          { id: "t1", title: "Roll out web 2.4", status: "in_progress", assignee: agentId },
          { id: "t2", title: "Approve web 2.4", status: "todo", assignee: ownerId },
          { id: "t3", title: "Write release notes", status: "todo", assignee: "ana" },
        ],
      },
    });
    expect(tasks.status, JSON.stringify(tasks.body)).toBe(200);
    const members = (await owner.get("/api/members")).body.items as { id: string; displayName: string }[];
    const ownerName = members.find((member) => member.id === ownerId)!.displayName;
    expect(ownerName).not.toBe(ownerId);
    const approval = await agent.post("/api/approvals", { type: "deploy", title: "Deploy web 2.4" });
    expect(approval.status, JSON.stringify(approval.body)).toBe(201);
    const approvalId = (approval.body as { id: string }).id;

    const page = dashboard.page;
    const card = `[data-widget-id="deploys"]`;
    await page.waitForSelector(`${card}[data-widget-status="ready"]`);
    const by = page.locator(`${card} [data-widget-updated-by="agent:${agentId}"]`);
    expect(await by.textContent()).toBe("by Deploy Captain");
    // The id stays underneath: in the tooltip and the data attribute, never as the text.
    expect(await by.locator("[data-principal-id]").getAttribute("title")).toBe(agentId);
    expect(await texts(page, `${card} .activity__actor`)).toEqual(["Deploy Captain", "ci"]);
    const taskCard = `[data-widget-id="rollout"]`;
    const assignees = `${taskCard} .task__assignee`;
    await page.waitForSelector(`${taskCard}[data-widget-status="ready"]`);
    // Ids name their principal (the id in the tooltip and data attribute); a free label shows as written.
    expect(await texts(page, assignees)).toEqual(["Deploy Captain", ownerName, "ana"]);
    const assigneeIds = await page
      .locator(assignees)
      .evaluateAll((nodes) =>
        nodes.map((node) => [node.getAttribute("data-principal-id"), node.getAttribute("title")]),
      );
    expect(assigneeIds).toEqual([
      [agentId, agentId],
      [ownerId, ownerId],
      [null, null],
    ]);

    const row = inbox.page.locator(`[data-approval-id="${approvalId}"]`);
    await row.waitFor();
    expect(await row.locator(".approval-row__requester").textContent()).toBe("Deploy Captain");
    expect(await row.locator(".approval-row__requester").getAttribute("title")).toBe(agentId);
    await row.locator("[data-approval-select]").click();
    expect(await inbox.page.locator(".approval-detail__requester").textContent()).toBe("Deploy Captain");
    for (const open of [dashboard, inbox]) {
      expect(await open.page.locator("body").textContent()).not.toContain(agentId);
      expect(await open.page.locator("body").textContent()).not.toContain(ownerId);
    }

    // Gone if a page reloads: proves the new name arrived over the open socket (subscribe_agents).
    await Promise.all([markSameDocument(dashboard.page), markSameDocument(inbox.page)]);
    const renamed = await owner.patch(`/api/agents/${agentId}`, { displayName: "Release Bot" });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    await waitForText(page, `${card} [data-widget-updated-by] [data-principal-id]`, "Release Bot");
    await waitForText(page, `${card} .activity__actor`, "Release Bot");
    await waitForText(page, `${taskCard} .task__assignee[data-principal-id="${agentId}"]`, "Release Bot");
    await waitForText(
      inbox.page,
      `[data-approval-id="${approvalId}"] .approval-row__requester`,
      "Release Bot",
    );
    await waitForText(inbox.page, ".approval-detail__requester", "Release Bot");
    // The CLI edits the same card: `agentboard agent edit` against the running server.
    const edited = await runCli([
      "agent",
      "edit",
      agentId,
      "--display-name",
      "Ship Bot",
      "--url",
      server.url,
      "--token",
      ownerToken,
    ]);
    expect(edited.code, edited.stderr).toBe(0);
    await waitForText(page, `${card} .activity__actor`, "Ship Bot");
    await waitForText(page, `${taskCard} .task__assignee[data-principal-id="${agentId}"]`, "Ship Bot");
    expect(await texts(page, assignees)).toEqual(["Ship Bot", ownerName, "ana"]);
    await waitForText(inbox.page, `[data-approval-id="${approvalId}"] .approval-row__requester`, "Ship Bot");

    // The Health page reads the same directory (client-side navigation: still the same document).
    await inbox.page.getByRole("link", { name: "Health" }).click();
    await waitForText(inbox.page, `[data-agent-id="${agentId}"] [data-agent-name]`, "Ship Bot");
    expect(await isSameDocument(dashboard.page)).toBe(true);
    expect(await isSameDocument(inbox.page)).toBe(true);

    expect(dashboard.problems()).toEqual([]);
    expect(inbox.problems()).toEqual([]);
  });
});
