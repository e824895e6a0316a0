import { AgentboardError, assertSafeJson } from "@agentboard/protocol";
import type { FastifyInstance } from "fastify";
import { badRequest } from "../errors/agentboard-errors.js";

/**
 * Replaces Fastify's JSON parser so every body is limited before any route sees it: bytes by Fastify's
 * bodyLimit, then nesting depth and forbidden keys (`__proto__`, `constructor`, `prototype`) in one pass.
 */
export function registerJsonBodyParser(app: FastifyInstance, maxJsonDepth: number): void {
  // Fastify also reads text/plain into a string by default; no route takes text, and a JSON route given
  // one would only fail schema validation ("expected object"). Without a parser, every body that is not
  // application/json is refused as 415 unsupported_media_type before validation (see error-handler.ts).
  app.removeContentTypeParser(["application/json", "text/plain"]);
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    const text = body as string;
    if (text.length === 0) {
      done(null, undefined);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      done(badRequest("the request body is not valid JSON"), undefined);
      return;
    }
    try {
      assertSafeJson(value, maxJsonDepth);
    } catch (error) {
      done(AgentboardError.isInstance(error) ? error : badRequest("the request body was refused"), undefined);
      return;
    }
    done(null, value);
  });
}
