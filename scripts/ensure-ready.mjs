#!/usr/bin/env node
// Makes a fresh clone runnable: installs dependencies when they are missing or older than the lockfile,
// then builds the TypeScript packages (tsc -b is incremental, so an up-to-date tree costs a second or two)
// and the web app when any of its inputs is newer than its build (a stat walk, a few milliseconds).
// `npm start` and `npm test` both run this first, which is what keeps the README's two-command promise.
import { execSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const run = (cmd) => execSync(cmd, { cwd: root, stdio: "inherit" });

const installed = join(root, "node_modules", ".package-lock.json");
const lock = join(root, "package-lock.json");
const stale =
  !existsSync(installed) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(installed).mtimeMs);
if (stale) {
  console.log("agentboard: installing dependencies (npm ci)…");
  run("npm ci --no-audit --no-fund");
}
run("npx tsc -b packages/protocol packages/client packages/server");

/** Newest modification time of a file or of anything below a directory (0 when it does not exist). */
function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

const web = join(root, "packages", "web");
const webBuild = join(web, "dist", "index.html");
const webInputs = [
  join(web, "src"),
  join(web, "public"),
  join(web, "vite-plugins"),
  join(web, "index.html"),
  join(web, "vite.config.ts"),
  // The MCP Apps widget view: the second build (dist/mcp-app/widget.html).
  join(web, "mcp-app"),
  join(web, "vite.mcp-app.config.ts"),
  join(web, "package.json"),
  // The app bundles the SDK and the protocol from their builds.
  join(root, "packages", "client", "dist"),
  join(root, "packages", "protocol", "dist"),
];
const builtAt = existsSync(webBuild) ? statSync(webBuild).mtimeMs : 0;
if (webInputs.some((input) => newestMtime(input) > builtAt)) {
  console.log("agentboard: building the web app…");
  run("npm run build --silent -w @agentboard/web");
}
