import type { DashboardListItem } from "@agentboard/protocol";
import type { IdentityStore } from "../auth/identity-store.js";
import type { Principal } from "../auth/principal.js";

/** A stored dashboard document of a workspace, as a listing sees it (no state). */
export interface DirectoryEntry {
  dashboardId: string;
  rev: number;
  updatedAt: string;
}

/**
 * Lists the dashboard documents of a workspace. Kept apart from DashboardStore (whose write path is tuned on
 * its own): one implementation per store, SQLite (embedded) and Redis (cluster), reading the same documents.
 * At most DIRECTORY_LIMIT entries; which ones are kept beyond that is the implementation's (see each).
 */
export interface DashboardDirectory {
  list(workspaceId: string): Promise<DirectoryEntry[]>;
}

/** The most documents one listing returns: bounds the work and the answer of `GET /api/dashboards`. */
export const DIRECTORY_LIMIT = 1000;

const PERSONAL_PREFIX = "user:";

/**
 * What `GET /api/dashboards` answers: exactly the dashboards `resolveDashboard` lets this caller read.
 * Agents read every user's personal dashboard; a user reads only their own (listed as `user:<id>`, not
 * `me`, so one dashboard has one id for every caller). Everyone reads every shared dashboard, but a shared
 * slug exists only once written, so the stored ones are listed. A personal dashboard is listed even when
 * never written (rev 0, updatedAt null): agents need its id to draw on it. Stored personal documents of
 * users who are gone are not listed (resolveDashboard answers not_found for them).
 * Order: personal dashboards by owner (users by name, then id), then shared ones by slug.
 */
export async function listReadableDashboards(
  identity: IdentityStore,
  directory: DashboardDirectory,
  principal: Principal,
): Promise<DashboardListItem[]> {
  const [principals, documents] = await Promise.all([
    identity.listPrincipals(principal.workspaceId),
    directory.list(principal.workspaceId),
  ]);
  const stored = new Map(documents.map((document) => [document.dashboardId, document]));
  const owners = principals.filter(
    (member) => member.kind === "user" && (principal.kind === "agent" || member.id === principal.id),
  );
  const personal = owners.map((owner): DashboardListItem => {
    const id = `${PERSONAL_PREFIX}${owner.id}`;
    const document = stored.get(id);
    return {
      id,
      title: owner.name,
      kind: "personal",
      rev: document?.rev ?? 0,
      updatedAt: document?.updatedAt ?? null,
    };
  });
  const shared = documents
    .filter((document) => !document.dashboardId.startsWith(PERSONAL_PREFIX))
    .sort((a, b) => (a.dashboardId < b.dashboardId ? -1 : a.dashboardId > b.dashboardId ? 1 : 0))
    .map(
      (document): DashboardListItem => ({
        id: document.dashboardId,
        title: document.dashboardId,
        kind: "shared",
        rev: document.rev,
        updatedAt: document.updatedAt,
      }),
    );
  return [...personal, ...shared];
}
