#!/usr/bin/env node
// Runs the built CLI. `npm start` / `npm test` build first; a bare clone says what to do instead of a stack trace.
import { existsSync } from "node:fs";

const cli = new URL("../dist/cli-main.js", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(
    "agentboard: not built yet; run `npm start` or `npm run build` in the repository first\n",
  );
  process.exit(2);
}
await import(cli.href);
