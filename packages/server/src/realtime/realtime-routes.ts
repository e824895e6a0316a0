import { AgentboardError, CLOSE_CODES, RealtimeTicketResponseSchema } from "@agentboard/protocol";
import websocket from "@fastify/websocket";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { WebSocket } from "ws";
import { principalOf, requireAuth } from "../auth/auth-plugin.js";
import type { IdentityStore } from "../auth/identity-store.js";
import type { Principal } from "../auth/principal.js";
import type { RevocationWatch } from "../auth/revocation.js";
import { forbidden, unauthorized } from "../errors/agentboard-errors.js";
import type { RealtimeHub } from "./realtime-hub.js";
import type { RealtimeSocket } from "./realtime-socket.js";
import { sharedTextFrameWriter } from "./shared-text-frame.js";
import type { RealtimeTickets } from "./ticket-store.js";

declare module "fastify" {
  interface FastifyRequest {
    realtimePrincipal?: Principal;
  }
}

export interface RealtimeRouteOptions {
  hub: RealtimeHub;
  tickets: RealtimeTickets;
  /** Re-resolves a ticket's credential when it is used (revoked → refused; a changed role → the new one). */
  identity: Pick<IdentityStore, "resolveCredential">;
  /** Closes a socket (4401) when the credential or principal that opened it is revoked. */
  revocations: RevocationWatch;
  production: boolean;
  allowedOrigins: () => ReadonlySet<string>;
}

/** Frames are text, also when fan-out hands over a shared Buffer (one options object for every send). */
const TEXT_FRAME = { binary: false } as const;

function adapt(socket: WebSocket): RealtimeSocket {
  const writeShared = sharedTextFrameWriter(socket);
  return {
    // A Buffer is a fan-out frame shared by many subscribers: framed once, written as one chunk.
    send: (data) => {
      if (typeof data === "string" || !writeShared?.(data)) socket.send(data, TEXT_FRAME);
    },
    close: (code, reason) => socket.close(code, reason),
    terminate: () => socket.terminate(),
    ping: () => socket.ping(),
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
    onMessage: (listener) =>
      socket.on("message", (data, isBinary) => {
        if (!isBinary) listener(data.toString());
      }),
    onClose: (listener) => socket.on("close", listener),
    onPong: (listener) => socket.on("pong", listener),
  };
}

/**
 * WebSocket support for the whole app. Registered before the auth hook on purpose: its onRequest hook marks
 * upgrade requests, and its onResponse hook destroys the socket of an upgrade that was refused — if auth threw
 * first, that mark would be missing and refused sockets would stay open.
 */
export async function registerWebSocketSupport(app: FastifyInstance, maxFrameBytes: number): Promise<void> {
  await app.register(websocket, {
    options: { maxPayload: maxFrameBytes, perMessageDeflate: false },
    errorHandler: (error, socket, request) => {
      request.log.warn({ err: error }, "realtime connection error");
      socket.terminate();
    },
  });
}

/**
 * `POST /api/realtime/ticket` and the WebSocket endpoint `/api/realtime`. Authentication happens in
 * preValidation, before the 101 is sent: a single-use ticket, or a bearer header (Node clients), or — outside
 * production only — the session cookie. A browser's Origin must be ours, which stops other sites from opening
 * sockets with the user's cookie.
 */
export async function registerRealtimeRoutes(
  app: FastifyInstance,
  options: RealtimeRouteOptions,
): Promise<void> {
  app.post(
    "/api/realtime/ticket",
    {
      preHandler: requireAuth,
      schema: { tags: ["realtime"], response: { 200: RealtimeTicketResponseSchema } },
    },
    async (request) => {
      const issued = await options.tickets.issue(principalOf(request));
      if (!issued)
        throw new AgentboardError("rate_limited", "too many unused realtime tickets; retry shortly");
      return issued;
    },
  );

  const authenticate = async (request: FastifyRequest) => {
    const origin = request.headers.origin;
    if (typeof origin === "string" && !options.allowedOrigins().has(origin)) {
      throw forbidden("WebSocket connections from this origin are not allowed");
    }
    const ticket = (request.query as Record<string, unknown>)?.ticket;
    if (typeof ticket === "string") {
      const issuedTo = await options.tickets.consume(ticket);
      // The ticket holds a snapshot; the credential it names is read again now, so a sign-out or revocation
      // since it was issued voids it, and a role changed since then applies to this socket.
      request.credentialCheckedAt = performance.now();
      const principal = issuedTo?.credentialId
        ? await options.identity.resolveCredential(issuedTo.credentialId)
        : null;
      if (!principal || principal.workspaceId !== issuedTo?.workspaceId)
        throw unauthorized(
          "the realtime ticket is unknown, expired or already used, or its credential was revoked",
        );
      request.realtimePrincipal = principal;
      return;
    }
    if (request.principal && request.authMethod === "bearer") {
      request.realtimePrincipal = request.principal;
      return;
    }
    if (request.principal && request.authMethod === "cookie" && !options.production) {
      request.realtimePrincipal = request.principal;
      return;
    }
    throw unauthorized(
      options.production
        ? "a WebSocket needs a ticket (POST /api/realtime/ticket) or a bearer token; a cookie alone is not accepted"
        : "a WebSocket needs a ticket (POST /api/realtime/ticket), a bearer token or a session",
    );
  };

  app.get(
    "/api/realtime",
    { websocket: true, preValidation: authenticate, schema: { hide: true } },
    (socket: WebSocket, request: FastifyRequest) => {
      const principal = request.realtimePrincipal;
      if (!principal) {
        socket.close(4401, "unauthorized");
        return;
      }
      const connection = options.hub.accept(adapt(socket), principal);
      // Revoking what authenticated this socket (or removing its principal, or changing its role) closes it:
      // "sign in again". Revocations announced since the credential was read count too.
      const unwatch = options.revocations.watch(principal, request.credentialCheckedAt, () =>
        connection.close(CLOSE_CODES.unauthorized, "credentials revoked or changed: sign in again"),
      );
      socket.once("close", unwatch);
    },
  );
}
