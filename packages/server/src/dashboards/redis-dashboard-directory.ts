import { DashboardIdSchema } from "@agentboard/protocol";
import type { Redis } from "ioredis";
import { type DashboardDirectory, DIRECTORY_LIMIT, type DirectoryEntry } from "./dashboard-directory.js";
import type { RedisDashboardStore } from "./redis-dashboard-store.js";

/** Keys one SCAN call looks at: a round trip per this many keys of the database. */
const SCAN_COUNT = 1000;

/** Stands for the dashboard id when the store's key layout is turned into a SCAN pattern. */
const ID_MARK = "\u0000";

/**
 * Cluster DashboardDirectory: SCAN with MATCH on the document hashes of one workspace under the deployment's
 * prefix (`<prefix>ws:{<workspaceId>}:dash:*:doc`, TYPE hash), then one pipelined HMGET of rev and
 * updatedAt. The pattern comes from RedisDashboardStore.keyOf, so the two cannot drift apart.
 *
 * Cost: SCAN walks the whole Redis database and filters afterwards, so a listing is O(keys in the database)
 * — about keys / SCAN_COUNT round trips, each a bounded amount of Redis work (no blocking KEYS). That is
 * acceptable for now because a listing is rare (the web app's switcher, an agent looking for where to
 * draw), not on any write path, and the database holds only agentboard's keys (three per document plus
 * short-lived tickets and idempotency records). When it is not, the commit script can maintain a
 * per-workspace index set instead. The answer stops at its limit (DIRECTORY_LIMIT) documents (SCAN order, so which ones
 * past it is arbitrary); the scan itself stops there too.
 */
export class RedisDashboardDirectory implements DashboardDirectory {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Pick<RedisDashboardStore, "keyOf">,
    private readonly limit = DIRECTORY_LIMIT,
  ) {}

  async list(workspaceId: string): Promise<DirectoryEntry[]> {
    const [head = "", tail = ""] = this.keys
      .keyOf({ workspaceId, dashboardId: ID_MARK }, "doc")
      .split(ID_MARK);
    const pattern = `${escapeGlob(head)}*${escapeGlob(tail)}`;
    const found = new Map<string, string>();
    let cursor = "0";
    do {
      const [next, keys] = await this.redis.scan(
        cursor,
        "MATCH",
        pattern,
        "COUNT",
        SCAN_COUNT,
        "TYPE",
        "hash",
      );
      cursor = next;
      for (const key of keys) {
        if (found.size >= this.limit) break;
        const dashboardId = key.slice(head.length, key.length - tail.length);
        // `*` also matches ids the store never writes (e.g. ":" inside an idempotency key ending in
        // ":doc"); only a valid dashboard id is a document. SCAN may return a key twice: the map dedupes.
        if (isStoredDashboardId(dashboardId)) found.set(dashboardId, key);
      }
    } while (cursor !== "0" && found.size < this.limit);
    if (found.size === 0) return [];

    const pipeline = this.redis.pipeline();
    for (const key of found.values()) pipeline.hmget(key, "rev", "updatedAt");
    const replies = (await pipeline.exec()) ?? [];
    const entries: DirectoryEntry[] = [];
    let index = 0;
    for (const dashboardId of found.keys()) {
      const [error, fields] = replies[index++] ?? [null, null];
      if (error) throw error;
      const [rev, updatedAt] = (fields ?? []) as Array<string | null>;
      // Expired between the SCAN and the HMGET: gone, so not listed.
      if (rev === null || rev === undefined) continue;
      entries.push({ dashboardId, rev: Number(rev), updatedAt: updatedAt ?? "" });
    }
    return entries;
  }
}

/** A dashboard id the store writes under: a shared slug or `user:<id>` (`me` is resolved before storage). */
function isStoredDashboardId(id: string): boolean {
  return id !== "me" && DashboardIdSchema.safeParse(id).success;
}

/** Redis glob patterns treat * ? [ ] and \ specially; a prefix or workspace id must match only itself. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, "\\$&");
}
