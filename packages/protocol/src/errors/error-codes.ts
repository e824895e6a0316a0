import { z } from "zod";

/**
 * The wire error codes of contract.md, each with its HTTP status. One catalogue: the server maps errors to
 * statuses from here and the SDK rebuilds typed errors from the same codes.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  invalid: 422,
  payload_too_large: 413,
  /** A body in a format the server does not read (everything but application/json). */
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export const ErrorCodeSchema = z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]);

/** Body of every non-2xx answer. */
export const ApiErrorSchema = z.object({
  error: ErrorCodeSchema,
  message: z.string(),
  details: z.unknown().optional(),
});
export type ApiError = z.infer<typeof ApiErrorSchema>;
