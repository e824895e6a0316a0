import { StateValidationError, toValidationIssues } from "@agentboard/protocol";
import type { FastifyInstance, FastifySchema } from "fastify";
import { z } from "zod";

/**
 * Routes declare zod schemas (from @agentboard/protocol) in `schema.body/params/querystring`. This makes
 * Fastify validate with zod (so there is one source of truth) and turns them into JSON Schema for OpenAPI.
 * Responses are serialised with JSON.stringify: their schemas are documentation.
 */
export function registerZodSchemas(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const zodSchema = schema as unknown as z.ZodType;
    return (data: unknown) => {
      const result = zodSchema.safeParse(data);
      if (result.success) return { value: result.data };
      return {
        error: new StateValidationError(toValidationIssues(result.error), `request ${httpPart ?? "input"}`),
      };
    };
  });
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
}

/** @fastify/swagger transform: zod → JSON Schema for every part of a route schema. */
export function zodToOpenApi({ schema, url }: { schema: FastifySchema | undefined; url: string }) {
  if (!schema) return { schema: {}, url };
  const converted: Record<string, unknown> = {};
  for (const [part, value] of Object.entries(schema as Record<string, unknown>)) {
    if (part === "response" && value && typeof value === "object") {
      converted.response = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([status, s]) => [status, toJsonSchema(s)]),
      );
    } else {
      converted[part] = toJsonSchema(value);
    }
  }
  return { schema: converted as FastifySchema, url };
}

function toJsonSchema(value: unknown): unknown {
  if (value instanceof z.ZodType) {
    const json = z.toJSONSchema(value, { io: "input", unrepresentable: "any", target: "draft-7" }) as Record<
      string,
      unknown
    >;
    delete json.$schema;
    return json;
  }
  return value;
}
