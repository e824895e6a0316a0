import {
  ApiErrorSchema,
  MemberParamsSchema,
  type MemberRoleBody,
  MemberRoleBodySchema,
  MemberSchema,
  TokenListResponseSchema,
  TokenParamsSchema,
} from "@agentboard/protocol";
import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import { principalOf, requireAuth } from "./auth-plugin.js";
import type { IdentityStore } from "./identity-store.js";
import { hasRole } from "./principal.js";
import type { Revocations } from "./revocation.js";

const errors = { 401: ApiErrorSchema, 403: ApiErrorSchema, 404: ApiErrorSchema, 409: ApiErrorSchema };

/**
 * Credentials and members (contract.md "Tokens, members and dashboards directory"): list and revoke API
 * tokens and sessions; change a member's role or remove a member. Whatever these take away reaches open
 * sockets and long-polls at once, on every node (see Revocations).
 */
export function registerAccessRoutes(
  app: FastifyInstance,
  identity: IdentityStore,
  revocations: Revocations,
): void {
  app.get(
    "/api/tokens",
    {
      preHandler: requireAuth,
      schema: { tags: ["tokens"], response: { 200: TokenListResponseSchema, ...errors } },
    },
    async (request) => {
      const caller = principalOf(request);
      // Owners and admins see the workspace's credentials; everyone else their own.
      const onlyOwn = hasRole(caller, "admin") ? undefined : caller.id;
      return { items: await identity.listTokens(caller.workspaceId, onlyOwn) };
    },
  );

  app.patch(
    "/api/members/:id",
    {
      preHandler: requireAuth,
      schema: {
        tags: ["directory"],
        params: MemberParamsSchema,
        body: MemberRoleBodySchema,
        response: { 200: MemberSchema, 422: ApiErrorSchema, ...errors },
      },
    },
    async (request) => {
      const { id } = request.params as z.infer<typeof MemberParamsSchema>;
      const { role } = request.body as MemberRoleBody;
      const member = await revocations.setRole(principalOf(request), id, role);
      return { ...member, displayName: member.name };
    },
  );

  // Revoking a token and removing a member: an id in, nothing (204) out.
  const removals = [
    { url: "/api/tokens/:id", tag: "tokens", params: TokenParamsSchema, remove: revocations.revokeToken },
    {
      url: "/api/members/:id",
      tag: "directory",
      params: MemberParamsSchema,
      remove: revocations.removeMember,
    },
  ] as const;
  for (const { url, tag, params, remove } of removals) {
    app.delete(url, { preHandler: requireAuth, schema: { tags: [tag], params } }, async (request, reply) => {
      const { id } = request.params as { id: string };
      await remove.call(revocations, principalOf(request), id);
      return reply.status(204).send();
    });
  }
}
