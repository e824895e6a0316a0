import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { forbidden, unauthorized } from "../errors/agentboard-errors.js";
import { bearerToken } from "./bearer.js";
import type { IdentityStore } from "./identity-store.js";
import type { AuthMethod, Principal } from "./principal.js";

export const SESSION_COOKIE = "agentboard_session";

declare module "fastify" {
  interface FastifyRequest {
    principal: Principal | null;
    authMethod: AuthMethod | null;
    /**
     * This node's `performance.now()` just before the credential was read: whatever holds the request open
     * (a socket, a long-poll) watches for revocations announced since then (RevocationWatch).
     */
    credentialCheckedAt: number;
  }
}

export interface AuthOptions {
  identity: IdentityStore;
  /**
   * Origins allowed to send cookie-authenticated writes (the app's own origin plus configured ones). A
   * function because the app's own origin includes the port, known only once the server listens.
   */
  allowedOrigins: () => ReadonlySet<string>;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Resolves the caller of every request (bearer token, or the session cookie set by POST /api/auth/session)
 * without rejecting: routes opt in with `requireAuth`, so public routes and the rate limiter can still key
 * on the principal. A present but invalid bearer token is never silently downgraded to the cookie.
 */
export function registerAuth(app: FastifyInstance, options: AuthOptions): void {
  app.decorateRequest("principal", null);
  app.decorateRequest("authMethod", null);
  app.decorateRequest("credentialCheckedAt", 0);

  app.addHook("onRequest", async (request) => {
    if (!request.url.startsWith("/api/")) return;
    request.credentialCheckedAt = performance.now();
    const token = bearerToken(request);
    if (token !== undefined) {
      request.principal = await options.identity.resolveSecret(token, ["api"]);
      request.authMethod = request.principal ? "bearer" : null;
      if (!request.principal) throw unauthorized("the bearer token is not valid");
      return;
    }
    const cookie = request.cookies?.[SESSION_COOKIE];
    if (cookie) {
      const principal = await options.identity.resolveSecret(cookie, ["session"]);
      if (!principal) return;
      // Cookies ride along on cross-site requests; a write authenticated by one must come from our origin.
      if (!SAFE_METHODS.has(request.method)) {
        const origin = request.headers.origin;
        if (typeof origin !== "string" || !options.allowedOrigins().has(origin)) {
          throw forbidden("cookie-authenticated writes must come from the app's own origin");
        }
      }
      request.principal = principal;
      request.authMethod = "cookie";
    }
  });

  // Fastify parses and validates a body before preHandler hooks run, so a check there would answer an
  // anonymous request with a bad body 415/400/422 and schema details instead of 401. Routes keep declaring
  // `preHandler: requireAuth`; this one hook moves the check to onRequest, where it runs right after the
  // caller was resolved above (route hooks follow the app's) and before any byte of the body is read.
  app.addHook("onRoute", (route) => {
    const preHandlers = [route.preHandler ?? []].flat();
    if (!preHandlers.some((hook) => hook === requireAuth)) return;
    route.preHandler = preHandlers.filter((hook) => hook !== requireAuth);
    route.onRequest = [...[route.onRequest ?? []].flat(), requireAuth];
  });
}

/** The check for routes that need a caller: declared as their preHandler, run at onRequest (see above). */
export async function requireAuth(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  if (!request.principal) throw unauthorized();
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorized();
  return request.principal;
}
