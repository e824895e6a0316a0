import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { WIDGET_TYPES } from "@agentboard/protocol";
import { afterEach, describe, expect, it } from "vitest";
import {
  type CliLauncher,
  cleanupCli,
  type Env,
  http,
  makeTempDir,
  runCli,
  startCliServer,
} from "./helpers/cli.js";

afterEach(cleanupCli);

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
/** What a user installs; the server depends on the others (demo → client → protocol). */
const PACKAGES = ["@agentboard/protocol", "@agentboard/client", "@agentboard/demo", "@agentboard/server"];
/** The only install script in the installed tree: better-sqlite3 fetches or compiles its native addon. */
const NATIVE = "better-sqlite3";

/**
 * npm and npx as a user would run them: without the npm_* settings of an outer `npm test` (which would point
 * a nested npm at the repository instead of the empty folder), without AGENTBOARD_*, without the
 * repository's node_modules/.bin on the PATH (its `agentboard` is the checkout's), and with the Node that
 * runs this test first on it (the native addon is installed for that Node's ABI).
 */
function cleanEnv(extra: Env = {}): Env {
  const env: Env = {};
  for (const name of Object.keys(process.env)) if (/^npm_/i.test(name)) env[name] = undefined;
  const path = (process.env.PATH ?? "").split(delimiter).filter((dir) => dir && !dir.startsWith(REPO_ROOT));
  env.PATH = [dirname(process.execPath), ...path].join(delimiter);
  return { ...env, ...extra };
}

const npm = (cwd: string): CliLauncher => ({ command: "npm", args: [], cwd });

/**
 * better-sqlite3's install script (prebuild-install) looks for a prebuilt addon in a local folder before it
 * downloads one from GitHub, which this machine cannot reach; without one it compiles SQLite (minutes on
 * two cores). The repository's own install already built the addon for this Node, so hand that build over
 * as the "local prebuild": the package's real install script still runs and decides, nothing is copied
 * into the installed tree by hand, and a different better-sqlite3 version simply compiles.
 */
function localPrebuilds(dir: string): Promise<Env> {
  const pkg = join(REPO_ROOT, "node_modules", NATIVE);
  const addon = join(pkg, "build", "Release", "better_sqlite3.node");
  if (!existsSync(addon)) return Promise.resolve({});
  const { version } = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8")) as { version: string };
  const { platform, arch, versions } = process;
  const file = `${NATIVE}-v${version}-node-v${versions.modules}-${platform}-${arch}.tar.gz`;
  return runCli(["-czf", join(dir, file), "-C", pkg, "build/Release/better_sqlite3.node"], {
    cli: { command: "tar", args: [] },
  }).then((packed) => {
    expect(packed.code, packed.stderr).toBe(0);
    return { npm_config_better_sqlite3_local_prebuilds: dir };
  });
}

/** Every installed package.json below node_modules (scoped and nested ones too). */
function installedPackages(nodeModules: string): { name: string; scripts?: Record<string, string> }[] {
  const found: { name: string; scripts?: Record<string, string> }[] = [];
  for (const entry of readdirSync(nodeModules, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === ".bin") continue;
    const dir = join(nodeModules, entry.name);
    if (entry.name.startsWith("@")) {
      found.push(...installedPackages(dir));
      continue;
    }
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) found.push(JSON.parse(readFileSync(manifest, "utf8")));
    if (existsSync(join(dir, "node_modules"))) found.push(...installedPackages(join(dir, "node_modules")));
  }
  return found;
}

describe("installed from packed tarballs", { timeout: 300_000 }, () => {
  it("npm pack → npm install in an empty folder → npx agentboard start --demo serves the board", async () => {
    for (const built of ["packages/protocol/dist", "packages/client/dist", "packages/server/dist"]) {
      expect(existsSync(join(REPO_ROOT, built)), `${built} is missing: run npm run build`).toBe(true);
    }
    const work = makeTempDir("agentboard-install-");
    const tarballs = join(work, "tarballs");
    const prebuilds = join(work, "prebuilds");
    const app = join(work, "app");
    for (const dir of [tarballs, prebuilds, app]) mkdirSync(dir);

    // The server's prepack copies the web app's build into the package (it fails if there is none).
    const packed = await runCli(
      ["pack", "--json", "--pack-destination", tarballs, ...PACKAGES.flatMap((name) => ["-w", name])],
      { cli: npm(REPO_ROOT), env: cleanEnv(), timeoutMs: 120_000 },
    );
    expect(packed.code, packed.stderr).toBe(0);
    const files = (JSON.parse(packed.stdout) as { name: string; filename: string }[]).map((entry) => {
      expect(PACKAGES).toContain(entry.name);
      return join(tarballs, entry.filename);
    });
    expect(files).toHaveLength(PACKAGES.length);

    // An empty project installs the tarballs; every other package comes from the registry (or npm's cache).
    writeFileSync(
      join(app, "package.json"),
      `${JSON.stringify({ name: "board", private: true }, null, 2)}\n`,
    );
    const installed = await runCli(["install", "--no-audit", "--no-fund", "--prefer-offline", ...files], {
      cli: npm(app),
      env: cleanEnv(await localPrebuilds(prebuilds)),
      timeoutMs: 280_000,
    });
    expect(installed.code, `${installed.stdout}\n${installed.stderr}`).toBe(0);

    // Nothing of ours runs at install, and every dependency resolved (npm ls exits 1 on a missing one).
    const nodeModules = join(app, "node_modules");
    const withInstallScripts = installedPackages(nodeModules)
      .filter(({ scripts = {} }) => scripts.preinstall || scripts.install || scripts.postinstall)
      .map(({ name }) => name);
    expect(withInstallScripts).toEqual([NATIVE]);
    const tree = await runCli(["ls", "--all"], { cli: npm(app), env: cleanEnv() });
    expect(tree.code, `${tree.stdout}\n${tree.stderr}`).toBe(0);

    // npx dies on SIGTERM without passing it on, so the server runs in a process group that is stopped whole.
    const server = await startCliServer({
      dataDir: join(work, "data"),
      args: ["--demo"],
      cli: { command: "npx", args: ["--no", "agentboard"], cwd: app, processGroup: true },
      env: cleanEnv(),
      startTimeoutMs: 60_000,
    });
    try {
      // The web app: served from the installed package's own copy (there is no checkout to find one in).
      const page = await http(`${server.url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      const packagedIndex = join(nodeModules, "@agentboard", "server", "dist", "web-app", "index.html");
      expect(page.body).toBe(readFileSync(packagedIndex, "utf8"));
      const script = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(page.body as string)?.[1];
      expect(script, "index.html loads no script").toBeDefined();
      const bundle = await fetch(`${server.url}${script}`);
      expect(bundle.status).toBe(200);
      expect(bundle.headers.get("content-type")).toMatch(/javascript/);
      // The MCP Apps widget view (`ui://agentboard/widget`) ships in that copy, where /mcp reads it.
      const packagedView = join(dirname(packagedIndex), "mcp-app", "widget.html");
      expect(readFileSync(packagedView, "utf8")).toMatch(/^<!doctype html>[\s\S]*Content-Security-Policy/i);

      // The printed login URL signs the owner in, as the browser does with it.
      const code = new URL(server.loginUrl).searchParams.get("login");
      const session = await http(`${server.url}/api/auth/session`, { method: "POST", body: { code } });
      expect(session.status, JSON.stringify(session.body)).toBe(200);
      const cookie = session.headers
        .getSetCookie()
        .map((line) => /^agentboard_session=[^;]+/.exec(line)?.[0])
        .find(Boolean);
      expect(cookie).toBeDefined();

      // The demo agents (from the installed @agentboard/demo) have filled the owner's dashboard: `start`
      // prints the login URL only after each agent reported that its widgets are published.
      const doc = await http(`${server.url}/api/dashboards/me/state`, { headers: { cookie: cookie! } });
      expect(doc.status).toBe(200);
      const types = new Set(
        Object.values(doc.body.state.widgets as Record<string, { type: string }>).map((w) => w.type),
      );
      expect([...types].sort()).toEqual([...WIDGET_TYPES].sort());
    } finally {
      await server.stop();
    }
  });
});
