import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { EventBus } from "../events/event-bus.js";
import { registerAccessRoutes } from "./access-routes.js";
import type { IdentityStore } from "./identity-store.js";
import { Revocations, RevocationWatch } from "./revocation.js";
import { registerSessionRoutes } from "./session-routes.js";

declare module "fastify" {
  interface FastifyInstance {
    /**
     * Tells long-lived requests (long-polls, WebSockets, MCP streams) when their credential is revoked.
     * Capabilities that hold requests open declare `dependencies: ["agentboard-access"]` and use it.
     */
    revocations: RevocationWatch;
  }
}

export interface AccessPluginOptions {
  identity: IdentityStore;
  bus: EventBus;
  /** Session cookies are `Secure` when the public URL is https. */
  secureCookies: boolean;
}

/**
 * Sign-in, sessions, tokens and members (`/api/auth/*`, `/api/tokens`, `/api/members`) and revocation: a revoke publishes
 * on the bus (topic `revocation`), and the watch ends what the revoked credential holds open. Who is calling
 * (the auth hook) is core, in `buildApp`, because the rate limiter keys on it.
 */
async function access(app: FastifyInstance, options: AccessPluginOptions): Promise<void> {
  const revocations = new Revocations(options.identity, options.bus);
  const watch = new RevocationWatch(options.bus);
  app.decorate("revocations", watch);
  app.addHook("onClose", async () => watch.close());
  registerSessionRoutes(app, options.identity, options.secureCookies, revocations);
  registerAccessRoutes(app, options.identity, revocations);
}

export const accessPlugin = fp(access, { name: "agentboard-access" });
