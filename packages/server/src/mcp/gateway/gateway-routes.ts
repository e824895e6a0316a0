import {
  ApiErrorSchema,
  MCP_CALL_LIMITS,
  McpServerListResponseSchema,
  type McpToolCallBody,
  McpToolCallBodySchema,
  McpToolListResponseSchema,
} from "@agentboard/protocol";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { principalOf, requireAuth } from "../../auth/auth-plugin.js";
import type { McpGateway } from "./gateway.js";

const errors = { 401: ApiErrorSchema, 403: ApiErrorSchema, 404: ApiErrorSchema, 422: ApiErrorSchema };
const ToolParamsSchema = z.object({ name: z.string().min(3).max(200) });

/** contract.md "MCP": the gateway over REST (`/api/mcp/...`). */
export function registerGatewayRoutes(app: FastifyInstance, gateway: McpGateway): void {
  const tags = ["mcp"];

  app.get(
    "/api/mcp/servers",
    { preHandler: requireAuth, schema: { tags, response: { 200: McpServerListResponseSchema, ...errors } } },
    async () => ({ items: gateway.servers() }),
  );

  app.get(
    "/api/mcp/tools",
    { preHandler: requireAuth, schema: { tags, response: { 200: McpToolListResponseSchema, ...errors } } },
    async () => ({ items: gateway.tools() }),
  );

  // 200 {pending: false, result}: the call ran (or was refused; result.isError says so).
  // 202 {pending: true, approval}: it waits for a human; call again (same idempotencyKey) for the result.
  // No response schema: a tool result is the upstream's, with fields of its own that must pass through.
  app.post(
    "/api/mcp/tools/:name/call",
    { preHandler: requireAuth, schema: { tags, params: ToolParamsSchema, body: McpToolCallBodySchema } },
    async (request, reply) => {
      const { name } = request.params as z.infer<typeof ToolParamsSchema>;
      const body = request.body as McpToolCallBody;
      // A client that hangs up stops the wait for a decision (the approval stays pending), never a call
      // that already runs.
      const abort = new AbortController();
      const onClose = () => {
        if (!reply.raw.writableFinished) abort.abort(new Error("the client went away"));
      };
      reply.raw.once("close", onClose);
      try {
        const outcome = await gateway.callTool(principalOf(request), name, body.arguments ?? {}, {
          idempotencyKey: body.idempotencyKey,
          waitMs: body.waitMs ?? MCP_CALL_LIMITS.defaultWaitMs,
          signal: abort.signal,
        });
        if (outcome.pending) return reply.status(202).send({ pending: true, approval: outcome.approval });
        return reply.status(200).send({
          pending: false,
          result: outcome.result,
          ...(outcome.approval ? { approval: outcome.approval } : {}),
        });
      } finally {
        reply.raw.off("close", onClose);
      }
    },
  );
}
