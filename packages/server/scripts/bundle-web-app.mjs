#!/usr/bin/env node
// prepack of @agentboard/server: an installed server serves the web app from its own files, so `npm pack` /
// `npm publish` copy the web app's build (packages/web/dist) into dist/web-app, next to the compiled server.
// It copies a build and never makes one: run `npm run build` at the repository root first.
import { cpSync, existsSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const server = fileURLToPath(new URL("../", import.meta.url));
const webBuild = fileURLToPath(new URL("../../web/dist/", import.meta.url));
const target = fileURLToPath(new URL("../dist/web-app/", import.meta.url));

for (const [path, what] of [
  [`${server}dist/cli-main.js`, "the server is not built"],
  [`${webBuild}index.html`, "the web app is not built"],
]) {
  if (!existsSync(path)) {
    process.stderr.write(`@agentboard/server prepack: ${what} (${path}); run \`npm run build\` first\n`);
    process.exit(1);
  }
}
// A fresh copy, so no file of an older build lingers in the package.
rmSync(target, { recursive: true, force: true });
cpSync(webBuild, target, { recursive: true });
