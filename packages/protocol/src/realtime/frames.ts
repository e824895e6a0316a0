import { z } from "zod";

/** Client-chosen request id, echoed in the answer so a client can match answers to requests. */
export const RequestIdSchema = z.string().min(1).max(64);

/**
 * A client frame: its `type`, the request id the answer echoes, then its own fields. Strict, so a
 * misspelt field is a bad frame rather than silently dropped.
 */
export function requestFrame<T extends string, S extends z.ZodRawShape = Record<never, never>>(
  type: T,
  shape: S = {} as S,
) {
  return z.strictObject({ type: z.literal(type), id: RequestIdSchema, ...shape });
}

/** A server frame that answers a client frame: its `type`, the echoed request id, then what it carries. */
export function answerFrame<T extends string, S extends z.ZodRawShape = Record<never, never>>(
  type: T,
  shape: S = {} as S,
) {
  return z.object({ type: z.literal(type), id: RequestIdSchema, ...shape });
}
