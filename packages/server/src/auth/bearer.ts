import type { FastifyReply, FastifyRequest } from "fastify";
import { unauthorized } from "../errors/agentboard-errors.js";
import type { IdentityStore } from "./identity-store.js";

/** The token of an `Authorization: Bearer <token>` header, if the request sends one. */
export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== "string") return undefined;
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
}

/**
 * The onRequest check of endpoints that take an API token only, never a cookie (`/mcp`, `/a2a`): resolves
 * the caller or answers 401 with `WWW-Authenticate: Bearer` (RFC 6750), naming `invalid_token` when a
 * token was sent but is not valid.
 */
export function requireBearer(identity: IdentityStore) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    request.credentialCheckedAt = performance.now();
    const token = bearerToken(request);
    const principal = token ? await identity.resolveSecret(token, ["api"]) : null;
    if (!principal) {
      reply.header(
        "WWW-Authenticate",
        token ? 'Bearer realm="agentboard", error="invalid_token"' : 'Bearer realm="agentboard"',
      );
      throw unauthorized(token ? "the bearer token is not valid" : "send Authorization: Bearer <token>");
    }
    request.principal = principal;
    request.authMethod = "bearer";
  };
}
