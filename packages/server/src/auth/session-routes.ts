import { MeResponseSchema, SessionBodySchema } from "@agentboard/protocol";
import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import { unauthorized } from "../errors/agentboard-errors.js";
import { principalOf, requireAuth, SESSION_COOKIE } from "./auth-plugin.js";
import type { IdentityStore } from "./identity-store.js";
import type { Revocations } from "./revocation.js";

const SESSION_TTL_MS = 30 * 86_400_000;

/**
 * Browser sign-in: exchanges an API token or a one-time login code (printed by `agentboard start`) for an
 * httpOnly, SameSite=Strict session cookie. The secret itself never reaches browser storage.
 */
export function registerSessionRoutes(
  app: FastifyInstance,
  identity: IdentityStore,
  secureCookies: boolean,
  revocations: Revocations,
): void {
  app.post(
    "/api/auth/session",
    {
      schema: { body: SessionBodySchema, response: { 200: MeResponseSchema } },
      config: { rateLimit: { max: 20 } },
    },
    async (request, reply) => {
      const body = request.body as z.infer<typeof SessionBodySchema>;
      const principal =
        "code" in body
          ? await identity.consumeLoginCode(body.code)
          : await identity.resolveSecret(body.token, ["api"]);
      if (!principal) throw unauthorized("the login code or token is not valid (login codes work once)");
      const { secret } = await identity.issueSecret(principal, "session", SESSION_TTL_MS);
      reply.setCookie(SESSION_COOKIE, secret, {
        httpOnly: true,
        sameSite: "strict",
        secure: secureCookies,
        path: "/",
        maxAge: SESSION_TTL_MS / 1000,
      });
      return toMe(principal);
    },
  );

  app.delete("/api/auth/session", async (request, reply) => {
    const cookie = request.cookies?.[SESSION_COOKIE];
    // Also closes the sockets this session opened and ends its long-polls, on every node.
    if (cookie) await revocations.signOut(cookie);
    reply.clearCookie(SESSION_COOKIE, { path: "/" });
    return reply.status(204).send();
  });

  app.get(
    "/api/me",
    { preHandler: requireAuth, schema: { response: { 200: MeResponseSchema } } },
    async (request) => toMe(principalOf(request)),
  );
}

function toMe(principal: ReturnType<typeof principalOf>): z.infer<typeof MeResponseSchema> {
  return {
    principal: {
      kind: principal.kind,
      id: principal.id,
      name: principal.name,
      ...(principal.role ? { role: principal.role } : {}),
    },
    workspace: { id: principal.workspaceId, name: principal.workspaceName },
  };
}
