import type { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { quietLog, REDIS_URL, testRedis } from "./backing-services.js";
import { createRedisClient } from "./server-internals.js";

/**
 * For a test file whose tests share Redis connections: the product's own fail-fast client (what the stores
 * get in production) and a plain one for set-up and inspection, connected before the file's tests and
 * closed after them. Each test still takes a prefix of its own.
 */
export function sharedRedis(): { redis: Redis; admin: Redis } {
  const redis = createRedisClient({ url: REDIS_URL, name: "agentboard:test", log: quietLog });
  const admin = testRedis();
  beforeAll(async () => redis.connect());
  afterAll(() => {
    redis.disconnect();
    admin.disconnect();
  });
  return { redis, admin };
}
