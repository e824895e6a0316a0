import { AgentboardError, ApiErrorSchema, type ErrorCode } from "@agentboard/protocol";

/** An error answer of the server, rebuilt from its `{error, message, details}` body. */
export class ApiRequestError extends AgentboardError {
  readonly httpStatus: number;
  constructor(code: ErrorCode, message: string, httpStatus: number, details?: unknown) {
    super(code, message, details);
    this.name = "ApiRequestError";
    this.httpStatus = httpStatus;
  }

  /** Builds the error from a response body; a body that is not a contract error becomes `internal`. */
  static fromWire(httpStatus: number, body: unknown): ApiRequestError {
    const parsed = ApiErrorSchema.safeParse(body);
    if (parsed.success)
      return new ApiRequestError(parsed.data.error, parsed.data.message, httpStatus, parsed.data.details);
    return new ApiRequestError(
      httpStatus === 404 ? "not_found" : "internal",
      `unexpected HTTP ${httpStatus} answer`,
      httpStatus,
    );
  }
}

/** The network failed or the request timed out before any answer. */
export class ConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ConnectionError";
  }
}

/** Codes that mean "not now" rather than "never": the same request may succeed later. */
const TRANSIENT_CODES: ReadonlySet<ErrorCode> = new Set(["unavailable", "rate_limited"]);

/** Whether a server error code (an HTTP answer, a nack) is worth retrying after a pause. */
export function isTransientCode(code: ErrorCode): boolean {
  return TRANSIENT_CODES.has(code);
}

/**
 * The SDK's one rule for "try again after a pause": no answer at all (a server restarting, the network in
 * between), a transient code, or a gateway's 502/503/504 in front of a server that is not up yet.
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof ConnectionError) return true;
  if (!AgentboardError.isInstance(error)) return false;
  if (isTransientCode(error.code)) return true;
  const { httpStatus } = error as Partial<ApiRequestError>;
  return httpStatus === 502 || httpStatus === 503 || httpStatus === 504;
}
