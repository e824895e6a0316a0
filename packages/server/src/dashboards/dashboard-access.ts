import { canWriteDashboards, type Principal } from "../auth/principal.js";
import { forbidden } from "../http/errors.js";
import type { DashboardKey } from "./dashboard-store.js";

/**
 * Maps a dashboard id of the URL (`me`, `user:<id>`, or a shared slug) to its storage key for this caller.
 * Personal dashboards are readable and writable by their user and by the workspace's agents (which is how
 * agents put widgets in front of a user); other users get `forbidden`. Shared dashboards are open to the
 * whole workspace. The key always carries the caller's workspace, so no id reaches another tenant.
 */
export function resolveDashboard(principal: Principal, id: string, access: "read" | "write"): DashboardKey {
  let dashboardId = id;
  if (id === "me") {
    if (principal.kind !== "user") throw forbidden('agents have no personal dashboard; use "user:<userId>"');
    dashboardId = `user:${principal.id}`;
  } else if (id.startsWith("user:")) {
    const owner = id.slice("user:".length);
    if (principal.kind === "user" && principal.id !== owner) throw forbidden("this is another user's personal dashboard");
  }
  if (access === "write" && !canWriteDashboards(principal)) {
    throw forbidden(principal.kind === "agent" ? 'this agent lacks the "dashboards:write" scope' : "viewers cannot change dashboards");
  }
  return { workspaceId: principal.workspaceId, dashboardId };
}
