import { deletePrefix, randomPrefix } from "@agentboard/test-support";
import type { Redis } from "ioredis";
import { RedisDashboardStore } from "../../src/dashboards/redis-dashboard-store.js";

/**
 * A Redis dashboard store under a prefix no other test uses, for the store and directory conformance suites:
 * `expire` does what Redis's TTL would (each key expires on its own; the document hash going is what makes a
 * document gone, and a log that outlived it is the worst case for the next writer); `close` deletes the prefix.
 */
export function openRedisDashboardFixture(redis: Redis, admin: Redis) {
  const prefix = randomPrefix();
  const store = new RedisDashboardStore({ redis, prefix, stateTtlDays: 30 });
  return {
    store,
    expire: async (key: { workspaceId: string; dashboardId: string }) =>
      void (await admin.del(store.keyOf(key, "doc"))),
    close: () => deletePrefix(admin, prefix),
  };
}
