#!/usr/bin/env node
// Makes a fresh clone runnable: installs dependencies when they are missing or older than the lockfile,
// then builds the TypeScript packages (tsc -b is incremental, so an up-to-date tree costs a second or two).
// `npm start` and `npm test` both run this first, which is what keeps the README's two-command promise.
import { execSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
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
