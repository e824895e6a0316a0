import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createBoardClient } from "@agentboard/client";
import { startTestServer, type TestServer } from "@agentboard/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const SECTION = "## Try it with HttpAgent";

/** The ```ts block of docs/agui.md's HttpAgent section, exactly as a reader copies it. */
function snippet(): string {
  const page = readFileSync(join(REPO_ROOT, "docs/agui.md"), "utf8");
  const start = page.indexOf(`\n${SECTION}\n`);
  expect(start, `docs/agui.md has no "${SECTION}" section`).toBeGreaterThan(-1);
  const end = page.indexOf("\n## ", start + 1);
  const blocks = [...page.slice(start, end === -1 ? undefined : end).matchAll(/```ts\n([\s\S]*?)```/g)];
  expect(blocks).toHaveLength(1);
  return blocks[0]![1]!;
}

/** Runs a TypeScript file with tsx to its end (bounded), with `env` added. */
function runTs(file: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(join(REPO_ROOT, "node_modules/.bin/tsx"), [file], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      output += chunk;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startTestServer();
  // Inside the repository, so the snippet's `@ag-ui/client` import resolves as in a project that installed it.
  const cache = join(REPO_ROOT, "node_modules/.cache");
  mkdirSync(cache, { recursive: true });
  dir = mkdtempSync(join(cache, "agui-snippet-"));
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await server?.close();
});

describe("docs/agui.md", () => {
  it("the HttpAgent snippet runs as written: it reads the board and approves what waits, and the agent wakes", async () => {
    const alice = await server.caller({ name: "alice" });
    const bot = createBoardClient({
      url: server.url,
      token: (await server.caller({ kind: "agent", name: "bot" })).token,
    });
    try {
      await bot.dashboards.upsertWidget(`user:${alice.principal.id}`, "deploy", {
        type: "alert",
        title: "Deploy",
        props: { severity: "warning", message: "Waiting for approval" },
      });
      const handle = await bot.approvals.request({
        type: "deploy",
        title: "Deploy v2",
        action: { tool: "deploy" },
      });
      const woke = handle.wait({ timeoutMs: 60_000 });

      const file = join(dir, "look.mts");
      writeFileSync(file, snippet());
      const run = await runTs(file, { AGENTBOARD_URL: server.url, AGENTBOARD_TOKEN: alice.token });
      expect(run.code, run.output).toBe(0);
      expect(run.output).toMatch(/^rev \d+: 1 widgets$/m);
      expect(run.output).toContain("approving: Deploy v2");
      expect(run.output).toContain("waiting now: 0");
      await expect(woke).resolves.toMatchObject({
        status: "approved",
        decidedBy: { id: alice.principal.id },
      });
    } finally {
      await bot.close();
    }
  }, 90_000);
});
