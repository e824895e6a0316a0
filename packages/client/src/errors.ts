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
