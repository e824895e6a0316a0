import type { Page } from "playwright-core";
import { expect } from "vitest";
import { type CliServer, http, lastLine, runCli } from "../../helpers/cli.js";

/** A fresh one-time login URL for the owner of the running server (each works once). */
export async function freshLoginUrl(server: CliServer): Promise<string> {
  const result = await runCli(["login-url", "--data-dir", server.dataDir, "--port", String(server.port)]);
  expect(result.code, result.stderr).toBe(0);
  return lastLine(result.stdout);
}

/** `agentboard token create …` against the server's data dir; returns the token. */
export async function createToken(server: CliServer, kind: "user" | "agent", name: string, role?: string) {
  const args = ["token", "create", "--kind", kind, "--name", name, "--data-dir", server.dataDir];
  if (role) args.push("--role", role);
  const result = await runCli(args);
  expect(result.code, result.stderr).toBe(0);
  return lastLine(result.stdout);
}

/** Signs in through the login URL and waits until the dashboard is live; the URL is clean afterwards. */
export async function signIn(page: Page, loginUrl: string, path = "/"): Promise<void> {
  await page.goto(loginUrl);
  await page.waitForSelector('[data-sync-status="connected"]');
  expect(new URL(page.url()).search).toBe("");
  if (path !== "/") {
    await page.goto(new URL(path, loginUrl).toString());
    await page.waitForSelector('[data-sync-status="connected"]');
  }
}

/** Signs in on the inbox and waits until its approvals feed is live, so a request made next is seen live. */
export async function signInToInbox(page: Page, loginUrl: string): Promise<void> {
  await signIn(page, loginUrl, "/inbox");
  await page.waitForSelector('[data-feed-status="live"]');
}

export function api(server: CliServer, token: string) {
  const headers = { authorization: `Bearer ${token}` };
  return {
    get: (path: string) => http(`${server.url}${path}`, { headers }),
    put: (path: string, body: unknown) => http(`${server.url}${path}`, { method: "PUT", headers, body }),
    patch: (path: string, body: unknown) => http(`${server.url}${path}`, { method: "PATCH", headers, body }),
    post: (path: string, body?: unknown) => http(`${server.url}${path}`, { method: "POST", headers, body }),
  };
}

/** The id of the server's owner, found as an agent finds it: `GET /api/members`. */
export async function ownerIdOf(server: CliServer, token: string): Promise<string> {
  const members = await api(server, token).get("/api/members");
  const owner = (members.body as { items: Array<{ id: string; role?: string }> }).items.find(
    (member) => member.role === "owner",
  );
  expect(owner, `no owner in /api/members: ${JSON.stringify(members.body)}`).toBeDefined();
  return owner!.id;
}

/** The `data-layout` of a widget's grid item: "x,y,w,h", or null when it is not on the grid. */
export async function layoutOf(page: Page, widgetId: string): Promise<string | null> {
  // One read inside the page: a count followed by a separate getAttribute could see the item go in between
  // (a dismissal landing while a poll runs), and the getAttribute would then wait 30 s for it to come back.
  return page.evaluate(
    (id) =>
      document.querySelector(`[data-layout-widget-id="${CSS.escape(id)}"]`)?.getAttribute("data-layout") ??
      null,
    widgetId,
  );
}

/** Polls `read` until it returns `expected` (bounded); fails with the last value seen. */
export async function eventually<T>(read: () => Promise<T>, expected: T, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!Object.is(last, expected) && JSON.stringify(last) !== JSON.stringify(expected)) {
    if (Date.now() > deadline) {
      throw new Error(
        `expected ${JSON.stringify(expected)} within ${timeoutMs} ms, last saw ${JSON.stringify(last)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await read();
  }
}
