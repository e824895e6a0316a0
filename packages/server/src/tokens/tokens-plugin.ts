import {
  ApiErrorSchema,
  TOKEN_COUNT_LIMITS,
  type TokenCountBody,
  TokenCountBodySchema,
  TokenCountResponseSchema,
} from "@agentboard/protocol";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { requireAuth } from "../auth/auth-plugin.js";
import { countTokens } from "./token-counter.js";

/**
 * `POST /api/tokens/count` (contract.md "MCP"). Nothing to open or close: encodings load on first use and
 * stay for the life of the process (they are immutable tables shared by every app in it).
 */
async function tokens(app: FastifyInstance): Promise<void> {
  app.post(
    "/api/tokens/count",
    {
      preHandler: requireAuth,
      // Its own limit, not the server's bodyLimit: counting is synchronous CPU work, so the bound is on purpose.
      bodyLimit: TOKEN_COUNT_LIMITS.maxBodyBytes,
      schema: {
        tags: ["tokens"],
        body: TokenCountBodySchema,
        response: {
          200: TokenCountResponseSchema,
          401: ApiErrorSchema,
          413: ApiErrorSchema,
          422: ApiErrorSchema,
        },
      },
    },
    async (request) => countTokens(request.body as TokenCountBody),
  );
}

export const tokensPlugin = fp(tokens, { name: "agentboard-tokens" });
