// Regenerates the option table in docs/configuration.md from the config module (the one source of truth).
// A test fails when the committed table differs, so the docs cannot drift from the code.
import { readFileSync, writeFileSync } from "node:fs";
import { renderConfigTable } from "../packages/server/src/config.js";

const file = new URL("../docs/configuration.md", import.meta.url);
const START = "<!-- config-table:start -->";
const END = "<!-- config-table:end -->";
const text = readFileSync(file, "utf8");
const before = text.slice(0, text.indexOf(START) + START.length);
const after = text.slice(text.indexOf(END));
writeFileSync(file, `${before}\n${renderConfigTable()}\n${after}`);
