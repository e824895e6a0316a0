import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { IdentityStore } from "../auth/identity-store.js";
import { RealtimeHub } from "./realtime-hub.js";
import { registerRealtimeRoutes } from "./realtime-routes.js";
import { type RealtimeTickets, TicketStore } from "./ticket-store.js";

declare module "fastify" {
  interface FastifyInstance {
    /** The WebSocket hub: capabilities add their channel with `app.realtimeHub.register(channel)`. */
    realtimeHub: RealtimeHub;
  }
}

export interface RealtimePluginOptions {
  identity: Pick<IdentityStore, "resolveCredential">;
  /** Where tickets live; in-process unless given (cluster mode shares them through Redis). */
  tickets?: RealtimeTickets;
  heartbeatMs: number;
  maxBufferedBytes: number;
  messagesPerSecond: number;
  production: boolean;
  allowedOrigins: () => ReadonlySet<string>;
}

/**
 * The hub (connections, heartbeat, decoding, dispatch to channels) and its endpoints
 * (`POST /api/realtime/ticket`, `GET /api/realtime`). Channels belong to the capabilities that register
 * after this one. Needs the app's WebSocket support (core) and the revocation watch (access plugin).
 */
async function realtime(app: FastifyInstance, options: RealtimePluginOptions): Promise<void> {
  const hub = new RealtimeHub({
    heartbeatMs: options.heartbeatMs,
    maxBufferedBytes: options.maxBufferedBytes,
    messagesPerSecond: options.messagesPerSecond,
    log: app.log,
  });
  app.decorate("realtimeHub", hub);
  // preClose: sockets are told to go away (and the channels leave the bus) before Fastify waits for
  // connections to end.
  app.addHook("preClose", async () => hub.close());
  await registerRealtimeRoutes(app, {
    hub,
    tickets: options.tickets ?? new TicketStore(),
    identity: options.identity,
    revocations: app.revocations,
    production: options.production,
    allowedOrigins: options.allowedOrigins,
  });
}

export const realtimePlugin = fp(realtime, {
  name: "agentboard-realtime",
  dependencies: ["agentboard-access"],
  decorators: { fastify: ["revocations", "websocketServer"] },
});
