import type { PrincipalKind, UserRole } from "@agentboard/protocol";

/** The authenticated caller of a request, always bound to exactly one workspace. */
export interface Principal {
  kind: PrincipalKind;
  id: string;
  name: string;
  role?: UserRole;
  scopes?: string[];
  workspaceId: string;
  workspaceName: string;
  /**
   * The id of the credential (tokens row: API token or session) that authenticated this principal. Open
   * sockets and realtime tickets remember it, so revoking that one credential reaches them.
   */
  credentialId?: string;
}

/** How the request proved who it is; cookie-authenticated writes also need a matching Origin. */
export type AuthMethod = "bearer" | "cookie";

/** `<kind>:<id>`: how widgets' `updatedBy` and log origins name a principal. */
export function principalRef(principal: Pick<Principal, "kind" | "id">): string {
  return `${principal.kind}:${principal.id}`;
}

const ROLE_RANK: Record<UserRole, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

export function hasRole(principal: Principal, atLeast: UserRole): boolean {
  return (
    principal.kind === "user" &&
    principal.role !== undefined &&
    ROLE_RANK[principal.role] >= ROLE_RANK[atLeast]
  );
}

/** Agents write to dashboards with the `dashboards:write` scope; users unless they are viewers. */
export function canWriteDashboards(principal: Principal): boolean {
  if (principal.kind === "agent") return principal.scopes?.includes("dashboards:write") ?? false;
  return hasRole(principal, "member");
}

export const DEFAULT_AGENT_SCOPES = ["dashboards:write", "approvals:request"];
