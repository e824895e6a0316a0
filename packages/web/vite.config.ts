import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { serviceWorkerPlugin } from "./vite-plugins/service-worker-plugin.ts";

/** Where `npm run dev -w @agentboard/web` sends API and WebSocket traffic. */
const SERVER = process.env.AGENTBOARD_DEV_SERVER ?? "http://127.0.0.1:7800";

export default defineConfig({
  plugins: [react(), serviceWorkerPlugin()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    // Nothing inline: the server's Content-Security-Policy allows scripts and styles from 'self' only.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 800,
  },
  server: {
    host: "127.0.0.1",
    port: 5173,
    strictPort: true,
    proxy: {
      "/api": {
        target: SERVER,
        ws: true,
        // The server accepts cookie-authenticated writes and sockets only from its own origin. The dev
        // server stands in front of it like a reverse proxy, so it forwards requests as that origin.
        configure(proxy) {
          const origin = new URL(SERVER).origin;
          proxy.on("proxyReq", (request) => request.setHeader("origin", origin));
          proxy.on("proxyReqWs", (request) => request.setHeader("origin", origin));
        },
      },
      "/readyz": SERVER,
      "/healthz": SERVER,
    },
  },
});
