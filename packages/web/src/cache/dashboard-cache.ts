import {
  type DashboardState,
  decodeState,
  type EncodedState,
  encodeState,
  loadDashboardState,
} from "@agentboard/protocol";
import { CACHE_KEY_PREFIX, type CacheBackend, isQuotaError } from "./cache-backend";

/** Version of the record around the encoded state (the state's own shape is versioned by schemaVersion). */
export const CACHE_RECORD_FORMAT = 1;

/** What is stored per (workspace, user, dashboard). */
export interface CacheRecord {
  format: typeof CACHE_RECORD_FORMAT;
  dashboardId: string;
  rev: number;
  /** schemaVersion of the encoded state when it was written; the migration reads the state's own field. */
  schemaVersion: number;
  savedAt: string;
  encoded: EncodedState;
}

export interface CacheOwner {
  workspaceId: string;
  userId: string;
}

export type CacheLoadResult =
  | { kind: "miss" }
  | { kind: "hit"; state: DashboardState; rev: number; savedAt: string; migratedFrom: number }
  | { kind: "discarded"; reason: string };

export type CacheSaveResult =
  | { ok: true; evicted: number }
  | { ok: false; reason: "quota" | "error"; message: string; evicted: number };

export function ownerPrefix(owner: CacheOwner): string {
  return `${CACHE_KEY_PREFIX}v1:${owner.workspaceId}:${owner.userId}:`;
}

export function cacheKey(owner: CacheOwner, dashboardId: string): string {
  return `${ownerPrefix(owner)}${dashboardId}`;
}

function parseRecord(raw: string): CacheRecord {
  const value: unknown = JSON.parse(raw);
  if (typeof value !== "object" || value === null) throw new Error("the record is not an object");
  const record = value as Partial<CacheRecord>;
  if (record.format !== CACHE_RECORD_FORMAT)
    throw new Error(`unknown record format ${String(record.format)}`);
  if (!Number.isInteger(record.rev) || (record.rev ?? -1) < 0) throw new Error("the record has no valid rev");
  if (typeof record.savedAt !== "string") throw new Error("the record has no savedAt");
  return record as CacheRecord;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The last known state of each dashboard, per signed-in user and workspace, stored with the protocol codec.
 * Loading decodes, migrates (`loadDashboardState`) and validates; anything that fails is deleted and
 * reported, so a bad cache costs a server round trip, never a blank page.
 */
export class DashboardCache {
  constructor(
    readonly backend: CacheBackend,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async load(owner: CacheOwner, dashboardId: string): Promise<CacheLoadResult> {
    const key = cacheKey(owner, dashboardId);
    let raw: string | undefined;
    try {
      raw = await this.backend.get(key);
    } catch (error) {
      return { kind: "discarded", reason: `the cache could not be read: ${messageOf(error)}` };
    }
    if (raw === undefined) return { kind: "miss" };
    try {
      const record = parseRecord(raw);
      const { state, migratedFrom } = loadDashboardState(decodeState(record.encoded));
      if (migratedFrom !== state.schemaVersion) {
        // Store it in today's shape so the migration runs once.
        await this.save(owner, dashboardId, state, record.rev).catch(() => undefined);
      }
      return { kind: "hit", state, rev: record.rev, savedAt: record.savedAt, migratedFrom };
    } catch (error) {
      await this.backend.delete(key).catch(() => undefined);
      return { kind: "discarded", reason: messageOf(error) };
    }
  }

  /**
   * Writes the state; when the quota is used up, evicts this app's other cached dashboards (oldest first,
   * never the one being written, never a key of anyone else) and tries again.
   */
  async save(
    owner: CacheOwner,
    dashboardId: string,
    state: DashboardState,
    rev: number,
  ): Promise<CacheSaveResult> {
    const key = cacheKey(owner, dashboardId);
    const record: CacheRecord = {
      format: CACHE_RECORD_FORMAT,
      dashboardId,
      rev,
      schemaVersion: state.schemaVersion,
      savedAt: this.now().toISOString(),
      encoded: encodeState(state),
    };
    const value = JSON.stringify(record);
    let evicted = 0;
    let victims: string[] | undefined;
    for (;;) {
      try {
        await this.backend.set(key, value);
        return { ok: true, evicted };
      } catch (error) {
        if (!isQuotaError(error)) return { ok: false, reason: "error", message: messageOf(error), evicted };
        victims ??= await this.evictionOrder(key);
        const victim = victims.shift();
        if (victim === undefined) {
          return {
            ok: false,
            reason: "quota",
            message: "the browser's storage for this site is full",
            evicted,
          };
        }
        await this.backend.delete(victim);
        evicted++;
      }
    }
  }

  /** Removes every cached dashboard of this user in this workspace (sign-out). */
  async clearOwner(owner: CacheOwner): Promise<number> {
    const prefix = ownerPrefix(owner);
    const keys = (await this.backend.keys()).filter((key) => key.startsWith(prefix));
    await Promise.all(keys.map((key) => this.backend.delete(key)));
    return keys.length;
  }

  /** Our keys other than `keep`, least recently saved first; unreadable records go first. */
  private async evictionOrder(keep: string): Promise<string[]> {
    const keys = (await this.backend.keys()).filter(
      (key) => key.startsWith(CACHE_KEY_PREFIX) && key !== keep,
    );
    const dated = await Promise.all(
      keys.map(async (key) => {
        try {
          const raw = await this.backend.get(key);
          return { key, at: raw === undefined ? 0 : Date.parse(parseRecord(raw).savedAt) || 0 };
        } catch {
          return { key, at: 0 };
        }
      }),
    );
    return dated.sort((a, b) => a.at - b.at).map((entry) => entry.key);
  }
}
