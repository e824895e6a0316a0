/// <reference lib="webworker" />
// The app-shell service worker. It keeps the built HTML, scripts and styles so that a reload while the
// server is unreachable still opens the app, which then shows the cached dashboard marked offline.
// It never caches API answers: user data lives only in the app's own IndexedDB cache, which logout clears.
// The build replaces the two placeholders below (see service-worker-plugin.ts).

const VERSION = "__AGENTBOARD_SW_VERSION__";
const PRECACHE = ["__AGENTBOARD_PRECACHE__"];
const CACHE = `agentboard-shell-${VERSION}`;
const SERVER_PATHS = ["/api/", "/docs", "/readyz", "/healthz", "/metrics"];

const sw = /** @type {ServiceWorkerGlobalScope} */ (/** @type {unknown} */ (self));

sw.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(["/", ...PRECACHE]))
      .then(() => sw.skipWaiting()),
  );
});

sw.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names
            .filter((name) => name.startsWith("agentboard-shell-") && name !== CACHE)
            .map((name) => caches.delete(name)),
        ),
      )
      .then(() => sw.clients.claim()),
  );
});

sw.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== sw.location.origin) return;
  if (SERVER_PATHS.some((prefix) => url.pathname.startsWith(prefix))) return;
  if (request.mode === "navigate") {
    // Network first, so a new deploy is picked up at once; the cached shell only when the server is away.
    event.respondWith(
      fetch(request).catch(async () => (await caches.match("/", { cacheName: CACHE })) ?? Response.error()),
    );
    return;
  }
  if (PRECACHE.includes(url.pathname)) {
    // Hashed file names never change content (and the icon hardly): the cache answers first.
    event.respondWith(caches.match(request, { cacheName: CACHE }).then((hit) => hit ?? fetch(request)));
  }
});
