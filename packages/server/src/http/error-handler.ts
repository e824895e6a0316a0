import { AgentboardError, type ErrorCode } from "@agentboard/protocol";
import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { isStoreUnavailable } from "../errors/store-errors.js";

function send(reply: FastifyReply, code: ErrorCode, message: string, details?: unknown): FastifyReply {
  const error = new AgentboardError(code, message, details);
  return reply.status(error.status).type("application/json").send(error.toJSON());
}

/**
 * One mapping from thrown errors to the contract's `{error, message, details?}` bodies. Fastify's own errors
 * (body too large, bad content type, rate limit) get their contract codes; anything unexpected is `internal`
 * and, in production, says nothing about its cause.
 */
export function registerErrorHandler(app: FastifyInstance, production: boolean): void {
  app.setNotFoundHandler((request, reply) =>
    send(reply, "not_found", `no route for ${request.method} ${request.url.split("?")[0]}`),
  );

  app.setErrorHandler((error: FastifyError | AgentboardError | Error, request, reply) => {
    if (AgentboardError.isInstance(error)) {
      if (error.code === "internal") request.log.error({ err: error }, "internal error");
      return send(reply, error.code, error.message, error.details);
    }
    const fastifyError = error as FastifyError;
    switch (fastifyError.code) {
      case "FST_ERR_CTP_BODY_TOO_LARGE":
        return send(reply, "payload_too_large", "the request body is larger than the server accepts");
      case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
        return send(reply, "unsupported_media_type", "send JSON with Content-Type: application/json");
      case "FST_ERR_CTP_EMPTY_JSON_BODY":
      case "FST_ERR_CTP_INVALID_JSON_BODY":
        return send(reply, "bad_request", "the request body is not valid JSON");
      case "FST_ERR_VALIDATION":
        return send(reply, "invalid", fastifyError.message);
    }
    if (fastifyError.statusCode === 429) {
      // Retry-After is in seconds (RFC 9110); the body gives milliseconds, as its name says.
      const seconds = Number(reply.getHeader("retry-after"));
      const details = Number.isFinite(seconds) ? { retryAfterMs: seconds * 1000 } : undefined;
      return send(reply, "rate_limited", "too many requests; slow down", details);
    }
    if (isStoreUnavailable(error)) {
      request.log.error({ err: error }, "backing store unavailable");
      return send(reply, "unavailable", "a backing store is not available; retry shortly");
    }
    if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
      return send(reply, "bad_request", fastifyError.message);
    }
    request.log.error({ err: error }, "unhandled error");
    return send(reply, "internal", production ? "internal error" : `internal error: ${error.message}`);
  });
}
