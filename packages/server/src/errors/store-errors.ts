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
/**
 * PostgreSQL SQLSTATEs of a server that is going away, starting, overloaded or cancelled our statement
 * (statement_timeout), plus serialization failures, which a retry resolves. Class 08 (connection exceptions)
 * is matched as a whole below.
 */
const UNAVAILABLE_POSTGRES_CODES = new Set([
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, recovery)
  "57014", // query_canceled (statement_timeout)
  "53300", // too_many_connections
  "53100", // disk_full
  "53200", // out_of_memory
  "40001", // serialization_failure
  "40P01", // deadlock_detected
]);
/**
 * ioredis and pg report a lost or unusable connection with plain messages rather than codes; Redis replies
 * of a server that is loading, busy, read-only (failover in progress) or not serving are transient too.
 */
const UNAVAILABLE_MESSAGES = [
  /driver has already been destroyed|database connection is not open/i, // Kysely after its driver closed
  /^Stream isn't writeable/, // ioredis: not connected (enableOfflineQueue: false)
  /^Command timed out/, // ioredis: commandTimeout
  /^Connection is closed\./, // ioredis: the connection dropped with the command in flight
  /^Reached the max retries per request limit/, // ioredis MaxRetriesPerRequestError
  /^(LOADING|BUSY|MASTERDOWN|READONLY|CLUSTERDOWN|TRYAGAIN|NOREPLICAS) /, // Redis transient replies
  /^Connection terminated/, // pg: unexpectedly / due to connection timeout
  /^timeout exceeded when trying to connect/, // pg Pool connectionTimeoutMillis
  /^Query read timeout/, // pg query_timeout
  /is not queryable/, // pg: client broke earlier
  /^Client was closed and is not queryable|^Cannot use a pool after calling end/, // pg after shutdown
];

export function isStoreUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string") {
    if (UNAVAILABLE_NETWORK_CODES.has(code)) return true;
    if ([...UNAVAILABLE_SQLITE_CODES].some((prefix) => code.startsWith(prefix))) return true;
    if (UNAVAILABLE_POSTGRES_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
  }
  if (UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(error.message))) return true;
  return error.cause !== undefined && error.cause !== error && isStoreUnavailable(error.cause);
}
