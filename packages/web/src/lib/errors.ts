import { ApiRequestError, ConnectionError } from "@agentboard/client";

/** A sentence for a person, from anything a request can throw. */
export function describeError(error: unknown): string {
  if (error instanceof ApiRequestError) return error.message;
  if (error instanceof ConnectionError) return "the server cannot be reached";
  if (error instanceof Error) return error.message;
  return String(error);
}

/** True when the server did not answer at all (down, or the network is gone). */
export function isUnreachable(error: unknown): boolean {
  return error instanceof ConnectionError;
}

export function httpStatusOf(error: unknown): number | undefined {
  return error instanceof ApiRequestError ? error.httpStatus : undefined;
}
