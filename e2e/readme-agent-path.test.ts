import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { api, createToken, signIn } from "./browser/helpers/app.js";
import { DETERMINISTIC, launchBrowser, openPage } from "./browser/helpers/browser.js";
import { cleanupCli, makeTempDir, spawnTracked, startCliServer, stopPid } from "./helpers/cli.js";

afterEach(cleanupCli);

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
const SECTION = "## Let an agent draw on the dashboard";
/** The address the README's commands use (the server's default). */
const README_URL = "http://127.0.0.1:7800";

/** The ```sh blocks of the README's agent section, in order: what a newcomer copies into a terminal. */
function agentPathScript(): string {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const start = readme.indexOf(`\n${SECTION}\n`);
  expect(start, `README.md has no "${SECTION}" section`).toBeGreaterThan(-1);
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1] ?? "");
  expect(blocks.length, "the agent section has no sh block").toBeGreaterThan(0);
  return blocks.join("\n");
}

/** Runs a bash script to its end (bounded); the output is complete ("close" comes after both pipes). */
async function runBash(script: string, options: { cwd: string; env: Record<string, string> }) {
  const tracked = spawnTracked("bash", ["-c", script], options);
  let stdout = "";
  let stderr = "";
  tracked.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  tracked.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const closed = new Promise<number | null>((resolve) => tracked.child.once("close", resolve));
  const timer = setTimeout(() => void stopPid(tracked, "SIGKILL", 0), 60_000);
  try {
    return { code: await closed, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

describe("README: let an agent draw on the dashboard", { timeout: 90_000 }, () => {
  it("runs as written from a terminal: token → the owner from /api/members → draw → the widget is visible", async () => {
    const written = agentPathScript();
    // What the README promises: no jq (it may be missing), and nothing to fill in by hand.
    expect(written).not.toMatch(/(^|[|;&(]\s*)jq\b/m);
    expect(written).not.toMatch(/<[a-z]+>|…/i);
    expect(written).toContain(README_URL);

    const dataDir = makeTempDir();
    const server = await startCliServer({ dataDir });
    try {
      // The only changes to the README's text: its default URL becomes this server's (started with --port 0),
      // and `set -euo pipefail` goes in front so a failing step fails the test instead of being hidden by
      // the next one. `npx agentboard token create` runs unchanged from the repository root (as the README
      // says); AGENTBOARD_DATA_DIR points it at this server's data dir, as --data-dir would.
      const script = `set -euo pipefail\n${written.replaceAll(README_URL, server.url)}`;
      expect(script).not.toContain(":7800");
      const run = await runBash(script, { cwd: REPO_ROOT, env: { AGENTBOARD_DATA_DIR: dataDir } });
      const output = `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
      expect(run.code, output).toBe(0);
      expect(run.stdout, output).toMatch(/the owner is user:usr_\S+/);
      expect(run.stdout, output).toContain('"title":"Deploy"');

      // Read back as the owner over REST: the widget is on their own dashboard, written by the agent.
      const owner = api(server, await createToken(server, "user", "admin"));
      const state = await owner.get("/api/dashboards/me/state");
      expect(state.status).toBe(200);
      expect(state.body.state.widgets.deploy).toMatchObject({
        type: "alert",
        title: "Deploy",
        props: { severity: "warning", message: "Waiting for approval" },
        updatedBy: expect.stringMatching(/^agent:/),
      });

      // And on the owner's screen.
      const browser = await launchBrowser();
      try {
        const context = await browser.newContext({ ...DETERMINISTIC, serviceWorkers: "block" });
        const { page, problems } = await openPage(context);
        await signIn(page, server.loginUrl);
        const widget = page.locator('[data-widget-id="deploy"]');
        await widget.waitFor();
        expect(await widget.textContent()).toContain("Waiting for approval");
        expect(problems()).toEqual([]);
      } finally {
        await browser.close();
      }
    } finally {
      await server.stop();
    }
  });
});
