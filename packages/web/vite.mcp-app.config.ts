import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { inlineBundlePlugin } from "./vite-plugins/inline-bundle-plugin.ts";

/**
 * The second build of the web package: the MCP Apps widget view (`ui://agentboard/widget`) as one
 * self-contained HTML file, dist/mcp-app/widget.html, which the server reads and serves on /mcp.
 * Runs after the app's build (that one empties dist/).
 */
export default defineConfig({
  root: fileURLToPath(new URL("./mcp-app", import.meta.url)),
  publicDir: false,
  plugins: [react(), inlineBundlePlugin()],
  build: {
    outDir: fileURLToPath(new URL("./dist/mcp-app", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    // Everything goes into the one HTML file; a separate asset could not be loaded by a host.
    assetsInlineLimit: Number.POSITIVE_INFINITY,
    cssCodeSplit: false,
    modulePreload: false,
    rollupOptions: { input: fileURLToPath(new URL("./mcp-app/widget.html", import.meta.url)) },
    chunkSizeWarningLimit: 1200,
  },
});
