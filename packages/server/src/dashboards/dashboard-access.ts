import type { IdentityStore } from "../auth/identity-store.js";
import { canWriteDashboards, type Principal } from "../auth/principal.js";
import { forbidden, notFound } from "../errors/agentboard-errors.js";
import type { DashboardKey } from "./dashboard-store.js";

/**
 * Maps a dashboard id of the URL (`me`, `user:<id>`, or a shared slug) to its storage key for this caller.
 * Personal dashboards are readable and writable by their user and by the workspace's agents (which is how
 * agents put widgets in front of a user); other users get `forbidden`. Shared dashboards are open to the
 * whole workspace. The key always carries the caller's workspace, so no id reaches another tenant; a
 * `user:<id>` of no user in the caller's workspace (e.g. another workspace's user) is `not_found`.
 */
export async function resolveDashboard(
  identity: IdentityStore,
  principal: Principal,
  id: string,
  access: "read" | "write",
): Promise<DashboardKey> {
  let dashboardId = id;
  if (id === "me") {
    if (principal.kind !== "user") throw forbidden('agents have no personal dashboard; use "user:<userId>"');
    dashboardId = `user:${principal.id}`;
  } else if (id.startsWith("user:")) {
    const owner = id.slice("user:".length);
    if (principal.kind === "user" && principal.id !== owner) {
      if (!(await identity.userExists(principal.workspaceId, owner)))
        throw notFound(`no user "${owner}" in this workspace`);
      throw forbidden("this is another user's personal dashboard");
    }
    if (principal.kind === "agent" && !(await identity.userExists(principal.workspaceId, owner))) {
      throw notFound(`no user "${owner}" in this workspace`);
    }
  }
  if (access === "write" && !canWriteDashboards(principal)) {
    throw forbidden(
      principal.kind === "agent"
        ? 'this agent lacks the "dashboards:write" scope'
        : "viewers cannot change dashboards",
    );
  }
  return { workspaceId: principal.workspaceId, dashboardId };
}
