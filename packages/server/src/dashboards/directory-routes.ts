import { ApiErrorSchema, DashboardListResponseSchema, MembersResponseSchema } from "@agentboard/protocol";
import type { FastifyInstance } from "fastify";
import { principalOf, requireAuth } from "../auth/auth-plugin.js";
import type { IdentityStore } from "../auth/identity-store.js";
import { type DashboardDirectory, listReadableDashboards } from "./dashboard-directory.js";

/**
 * The workspace's directory (contract.md "Tokens, members and dashboards directory"): who is in it and which
 * dashboards the caller may read, so an agent finds where to draw without a browser. Any authenticated
 * caller of the workspace, viewers included; nothing here crosses workspaces.
 */
export function registerDirectoryRoutes(
  app: FastifyInstance,
  identity: IdentityStore,
  directory: DashboardDirectory,
): void {
  app.get(
    "/api/members",
    {
      preHandler: requireAuth,
      schema: { tags: ["directory"], response: { 200: MembersResponseSchema, 401: ApiErrorSchema } },
    },
    async (request) => {
      const principals = await identity.listPrincipals(principalOf(request).workspaceId);
      // The agent directory's display name where an admin set one, else the principal's name.
      return {
        items: principals.map((member) => ({ ...member, displayName: member.displayName ?? member.name })),
      };
    },
  );

  app.get(
    "/api/dashboards",
    {
      preHandler: requireAuth,
      schema: { tags: ["dashboards"], response: { 200: DashboardListResponseSchema, 401: ApiErrorSchema } },
    },
    async (request) => ({ items: await listReadableDashboards(identity, directory, principalOf(request)) }),
  );
}
