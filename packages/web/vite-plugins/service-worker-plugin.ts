import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Plugin } from "vite";

const TEMPLATE = new URL("./service-worker.js", import.meta.url);
/** Files of public/ the page loads (they are copied, not bundled, so the bundle does not list them). */
const PUBLIC_FILES = ["favicon.svg"];

/**
 * Emits `sw.js` next to the built app with the list of every emitted script, style and icon to precache,
 * and a version derived from that list, so each build installs a fresh shell cache and drops the old one.
 */
export function serviceWorkerPlugin(): Plugin {
  return {
    name: "agentboard-service-worker",
    apply: "build",
    generateBundle(_options, bundle) {
      const files = [...Object.keys(bundle), ...PUBLIC_FILES]
        .filter((name) => /\.(js|css|svg|woff2?)$/.test(name))
        .map((name) => `/${name}`)
        .sort();
      const version = createHash("sha256").update(files.join("\n")).digest("hex").slice(0, 12);
      const source = readFileSync(TEMPLATE, "utf8")
        .replace("__AGENTBOARD_SW_VERSION__", version)
        .replace('["__AGENTBOARD_PRECACHE__"]', JSON.stringify(files));
      this.emitFile({ type: "asset", fileName: "sw.js", source });
    },
  };
}
