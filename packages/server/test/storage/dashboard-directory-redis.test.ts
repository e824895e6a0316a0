import { deletePrefix, randomPrefix, sharedRedis } from "@agentboard/test-support";
import { describe, expect, it } from "vitest";
import { RedisDashboardDirectory } from "../../src/dashboards/redis-dashboard-directory.js";
import { RedisDashboardStore } from "../../src/dashboards/redis-dashboard-store.js";
import { describeDashboardDirectory } from "./dashboard-directory-suite.js";
import { openRedisDashboardFixture } from "./redis-dashboard-fixture.js";

const { redis, admin } = sharedRedis();

describeDashboardDirectory("Redis", async () => {
  const fixture = openRedisDashboardFixture(redis, admin);
  return {
    ...fixture,
    directory: new RedisDashboardDirectory(redis, fixture.store),
    limited: (limit) => new RedisDashboardDirectory(redis, fixture.store, limit),
  };
});

describe("RedisDashboardDirectory specifics", () => {
  it("matches its own prefix and workspace literally, even with glob characters in the prefix", async () => {
    const base = randomPrefix();
    const globby = `${base}[a]*?:`;
    const sibling = `${base}a-x:`;
    const stores = [globby, sibling].map(
      (prefix) => new RedisDashboardStore({ redis, prefix, stateTtlDays: 1 }),
    );
    try {
      for (const store of stores) {
        await store.commit({
          key: { workspaceId: "ws_a", dashboardId: "ops" },
          expectedRev: 0,
          state: (await import("@agentboard/protocol")).defaultDashboardState(),
          entry: { ops: [], paths: [], origin: { principal: "user:u1" }, at: new Date().toISOString() },
          logLimit: 10,
        });
      }
      // A hash under the document pattern that is not a document (what `*` would also match): not listed.
      await admin.hset(`${globby}ws:{ws_a}:dash:ops:mut:1:c:x:doc`, "rev", "7");
      // A workspace whose id a glob would confuse with ws_a.
      await admin.hset(`${globby}ws:{ws_?}:dash:other:doc`, "rev", "1");

      const listed = await new RedisDashboardDirectory(redis, stores[0]!).list("ws_a");
      expect(listed.map((entry) => entry.dashboardId)).toEqual(["ops"]);
      expect(await new RedisDashboardDirectory(redis, stores[0]!).list("ws_?")).toEqual([
        { dashboardId: "other", rev: 1, updatedAt: "" },
      ]);
    } finally {
      await deletePrefix(admin, base);
    }
  });
});
