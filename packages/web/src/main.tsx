import { createRoot } from "react-dom/client";
import { App } from "./app/App";
import { openCacheBackend } from "./cache/cache-backend";
import "./dashboard/render-counts";
import "./styles/app.css";

// Opening IndexedDB starts before React renders, so the cached dashboard is ready as early as possible.
const cacheBackend = openCacheBackend();
const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");
createRoot(root).render(<App cacheBackend={cacheBackend} />);

// The app shell works offline once the service worker has it (production builds only: the dev server's
// modules are not hashed files).
if (import.meta.env.PROD && "serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js").catch(() => {
      // No offline start, everything else works: nothing to tell the user.
    });
  });
}
