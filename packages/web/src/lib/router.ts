import { createStore, useStore } from "zustand";

export type Route =
  | { name: "dashboard"; dashboardId: string }
  | { name: "inbox" }
  | { name: "health" }
  | { name: "not-found"; path: string };

const SHARED_SLUG = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** `/` is the user's own dashboard, `/d/<slug>` a shared one, `/inbox`, `/health`. */
export function parseRoute(pathname: string): Route {
  if (pathname === "/" || pathname === "") return { name: "dashboard", dashboardId: "me" };
  if (pathname === "/inbox") return { name: "inbox" };
  if (pathname === "/health") return { name: "health" };
  const shared = /^\/d\/([^/]+)$/.exec(pathname);
  if (shared?.[1] && SHARED_SLUG.test(shared[1])) return { name: "dashboard", dashboardId: shared[1] };
  return { name: "not-found", path: pathname };
}

export const routerStore = createStore<{ route: Route }>(() => ({
  route: parseRoute(window.location.pathname),
}));

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, "", path);
  else window.history.pushState(null, "", path);
  routerStore.setState({ route: parseRoute(new URL(path, window.location.origin).pathname) });
}

window.addEventListener("popstate", () => {
  routerStore.setState({ route: parseRoute(window.location.pathname) });
});

export function useRoute(): Route {
  return useStore(routerStore, (state) => state.route);
}
