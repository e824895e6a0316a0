import {
  AgentListResponseSchema,
  AgentParamsSchema,
  type AgentPatchBody,
  AgentPatchBodySchema,
  type AgentRegisterBody,
  AgentRegisterBodySchema,
  AgentSchema,
  ApiErrorSchema,
} from "@agentboard/protocol";
import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import { principalOf, requireAuth } from "../auth/auth-plugin.js";
import { hasRole } from "../auth/principal.js";
import { forbidden } from "../errors/agentboard-errors.js";
import type { AgentDirectory } from "./agent-directory.js";
import { type CardFetchOptions, fetchAgentCard } from "./card-fetcher.js";

const errors = { 401: ApiErrorSchema, 403: ApiErrorSchema, 404: ApiErrorSchema, 422: ApiErrorSchema };
type Params = z.infer<typeof AgentParamsSchema>;

/** contract.md "Agents (A2A)": the directory over REST (`/api/agents`). */
export function registerAgentsRoutes(
  app: FastifyInstance,
  directory: AgentDirectory,
  cardFetch: CardFetchOptions,
): void {
  const tags = ["agents"];

  app.get(
    "/api/agents",
    { preHandler: requireAuth, schema: { tags, response: { 200: AgentListResponseSchema, ...errors } } },
    async (request) => ({ items: await directory.list(principalOf(request).workspaceId) }),
  );

  app.post(
    "/api/agents",
    {
      preHandler: requireAuth,
      schema: { tags, body: AgentRegisterBodySchema, response: { 201: AgentSchema, ...errors } },
    },
    async (request, reply) => {
      const actor = principalOf(request);
      // Checked before the fetch: a member must not make the server fetch URLs either.
      if (!hasRole(actor, "admin")) throw forbidden("only owners and admins register agents");
      const { cardUrl } = request.body as AgentRegisterBody;
      const fetched = await fetchAgentCard(cardUrl, cardFetch);
      return reply.status(201).send(await directory.register(actor, cardUrl, fetched));
    },
  );

  app.patch(
    "/api/agents/:id",
    {
      preHandler: requireAuth,
      schema: {
        tags,
        params: AgentParamsSchema,
        body: AgentPatchBodySchema,
        response: { 200: AgentSchema, ...errors },
      },
    },
    async (request) => {
      const { id } = request.params as Params;
      return directory.update(principalOf(request), id, request.body as AgentPatchBody);
    },
  );

  app.delete(
    "/api/agents/:id",
    { preHandler: requireAuth, schema: { tags, params: AgentParamsSchema } },
    async (request, reply) => {
      const { id } = request.params as Params;
      await directory.remove(principalOf(request), id);
      return reply.status(204).send();
    },
  );
}
