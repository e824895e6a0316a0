/**
 * Errors that mean "a backing store cannot answer right now" rather than "this request is wrong" or "we have
 * a bug": they map to 503 `unavailable`, so clients retry and operators look at the store, not the code.
 */
const UNAVAILABLE_SQLITE_CODES = new Set([
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
  "SQLITE_IOERR",
  "SQLITE_CANTOPEN",
  "SQLITE_FULL",
  "SQLITE_READONLY",
  "SQLITE_PROTOCOL",
]);
const UNAVAILABLE_NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
]);

export function isStoreUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (UNAVAILABLE_NETWORK_CODES.has(code)) return true;
    if ([...UNAVAILABLE_SQLITE_CODES].some((prefix) => code.startsWith(prefix))) return true;
  }
  // Kysely after its driver was closed (shutdown, or the store was lost).
  if (/driver has already been destroyed|database connection is not open/i.test(error.message)) return true;
  return error.cause !== undefined && error.cause !== error && isStoreUnavailable(error.cause);
}
