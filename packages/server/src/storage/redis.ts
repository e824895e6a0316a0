import { Redis } from "ioredis";
import { redactUrl } from "./postgres.js";

export interface RedisConnectionOptions {
  /** redis:// or rediss:// URL (AGENTBOARD_REDIS_URL). */
  url: string;
  /** Shown in CLIENT LIST (`agentboard:<role>:<node>`), so operators can tell connections apart. */
  name: string;
  /** A command without a reply after this long fails (503) instead of hanging the request; default 2 s. */
  commandTimeoutMs?: number;
  /** A connection attempt that takes longer fails; default 2 s. */
  connectTimeoutMs?: number;
  log: { warn(details: object, message: string): void };
}

/** Longest pause between reconnect attempts while Redis is away. */
const MAX_RECONNECT_DELAY_MS = 2_000;
/** One "Redis connection failed" line per connection per this interval, however often it retries. */
const ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * A Redis connection that fails fast while Redis is away instead of queueing: no offline queue (a command
 * on a broken connection rejects at once), a command timeout (a Redis that hangs, e.g. DEBUG SLEEP, turns
 * into errors), and no automatic re-sending of commands that were in flight when the connection dropped —
 * their outcome is unknown, and only the caller can decide what that means (a dashboard commit reports it
 * and the cluster resyncs from the log). Reconnects forever with a capped backoff, so service resumes by
 * itself when Redis is back.
 */
export function createRedisClient(options: RedisConnectionOptions): Redis {
  const client = new Redis(options.url, {
    lazyConnect: true,
    connectionName: options.name,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.commandTimeoutMs ?? 2_000,
    connectTimeout: options.connectTimeoutMs ?? 2_000,
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), MAX_RECONNECT_DELAY_MS),
  });
  let lastLogged = 0;
  client.on("error", (error: Error) => {
    const now = Date.now();
    if (now - lastLogged < ERROR_LOG_INTERVAL_MS) return;
    lastLogged = now;
    options.log.warn({ err: error, connection: options.name }, "Redis connection failed; reconnecting");
  });
  return client;
}

/** Connects (a lazy client) or throws one clear line naming the URL without its password. */
export async function connectRedis(client: Redis, url: string): Promise<void> {
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(`Redis at ${redactUrl(url)}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/** Closes gracefully when connected (QUIT), else drops the socket and stops reconnecting. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === "ready") {
    try {
      await client.quit();
      return;
    } catch {
      // fall through: the connection broke while closing
    }
  }
  client.disconnect();
}
