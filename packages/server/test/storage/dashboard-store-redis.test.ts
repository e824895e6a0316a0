import { deletePrefix, quietLog, randomPrefix, sharedRedis } from "@agentboard/test-support";
import { describe, expect, it } from "vitest";
import { RedisDashboardStore } from "../../src/dashboards/redis-dashboard-store.js";
import { createRedisClient } from "../../src/storage/redis.js";
import { describeDashboardStore } from "./dashboard-store-suite.js";
import { openRedisDashboardFixture } from "./redis-dashboard-fixture.js";

const { redis, admin } = sharedRedis();

describeDashboardStore("Redis", async () => openRedisDashboardFixture(redis, admin));

describe("RedisDashboardStore specifics", () => {
  const key = { workspaceId: "ws_t", dashboardId: "user:usr_1" };

  it("puts a document's keys under the prefix and the workspace hash tag, each with the TTL", async () => {
    const prefix = randomPrefix();
    const store = new RedisDashboardStore({ redis, prefix, stateTtlDays: 2, idempotencyTtlSeconds: 600 });
    try {
      const { defaultDashboardState } = await import("@agentboard/protocol");
      const entry = {
        ops: [],
        paths: [],
        origin: { principal: "user:u", clientId: "c", mutationId: "m" },
        at: new Date().toISOString(),
      };
      const mutation = { principal: "user:u", clientId: "c", mutationId: "m", contentHash: "h" };
      await store.commit({
        key,
        expectedRev: 0,
        state: defaultDashboardState(),
        entry,
        logLimit: 10,
        mutation,
      });
      const keys: string[] = [];
      let cursor = "0";
      do {
        const [next, found] = await admin.scan(cursor, "MATCH", `${prefix}*`);
        cursor = next;
        keys.push(...found);
      } while (cursor !== "0");
      expect(keys.sort()).toEqual([
        `${prefix}ws:{ws_t}:dash:user:usr_1:doc`,
        `${prefix}ws:{ws_t}:dash:user:usr_1:log`,
        `${prefix}ws:{ws_t}:dash:user:usr_1:mut:6:user:u:1:c:m`,
      ]);
      for (const part of ["doc", "log"] as const) {
        const ttl = await admin.ttl(store.keyOf(key, part));
        expect(ttl).toBeGreaterThan(2 * 86_400 - 60);
        expect(ttl).toBeLessThanOrEqual(2 * 86_400);
      }
      const mutationTtl = await admin.ttl(store.mutationKeyOf(key, mutation));
      expect(mutationTtl).toBeGreaterThan(500);
      expect(mutationTtl).toBeLessThanOrEqual(600);
      // Every write refreshes the TTL: shorten it by hand, write again, and it is back to full.
      await admin.expire(store.keyOf(key, "doc"), 100);
      await store.commit({
        key,
        expectedRev: 1,
        state: defaultDashboardState(),
        entry: { ...entry, origin: { principal: "user:u" } },
        logLimit: 10,
      });
      expect(await admin.ttl(store.keyOf(key, "doc"))).toBeGreaterThan(2 * 86_400 - 60);
      expect(await store.dropExpired(new Date(Date.now() + 365 * 86_400_000))).toBe(0);
      expect((await store.readVersion(key))?.rev).toBe(2);
    } finally {
      await deletePrefix(admin, prefix);
    }
  });

  it("answers `unavailable` at once when Redis cannot be reached", async () => {
    const broken = createRedisClient({ url: "redis://127.0.0.1:1", name: "agentboard:test", log: quietLog });
    const uncertain: unknown[] = [];
    const store = new RedisDashboardStore({
      redis: broken,
      prefix: randomPrefix(),
      stateTtlDays: 1,
      onUncertainCommit: (k) => uncertain.push(k),
    });
    try {
      const started = performance.now();
      await expect(store.readVersion(key)).rejects.toMatchObject({ code: "unavailable" });
      await expect(
        store.readForWrite(key, { principal: "user:u", clientId: "c", mutationId: "m" }),
      ).rejects.toMatchObject({
        code: "unavailable",
      });
      const { defaultDashboardState } = await import("@agentboard/protocol");
      await expect(
        store.commit({
          key,
          expectedRev: 0,
          state: defaultDashboardState(),
          entry: { ops: [], paths: [], origin: { principal: "user:u" }, at: new Date().toISOString() },
          logLimit: 10,
        }),
      ).rejects.toMatchObject({ code: "unavailable" });
      expect(performance.now() - started).toBeLessThan(500);
      // Never sent, so certainly not written: no resync needed.
      expect(uncertain).toEqual([]);
    } finally {
      broken.disconnect();
    }
  });
});
