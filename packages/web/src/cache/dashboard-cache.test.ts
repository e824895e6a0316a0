import { type DashboardState, encodeState } from "@agentboard/protocol";
import { describe, expect, it } from "vitest";
import {
  CACHE_KEY_PREFIX,
  type CacheBackend,
  CacheQuotaError,
  localStorageBackend,
  memoryBackend,
} from "./cache-backend";
import { cacheKey, DashboardCache } from "./dashboard-cache";

const owner = { workspaceId: "ws_1", userId: "usr_1" };
const state = (title = "Hello"): DashboardState => ({
  schemaVersion: 1,
  layout: { columns: 12, items: [{ widgetId: "n", x: 0, y: 0, w: 4, h: 3 }] },
  widgets: {
    n: {
      id: "n",
      type: "note",
      title,
      props: { markdown: "x".repeat(400) },
      status: "ready",
      updatedAt: "2025-01-01",
      updatedBy: "a",
    },
  },
  preferences: {},
});

/** localStorage-like storage with a byte budget, like a browser's quota. */
class TinyStorage implements Storage {
  private readonly map = new Map<string, string>();
  constructor(private readonly budget: number) {}
  get length() {
    return this.map.size;
  }
  key(index: number) {
    return [...this.map.keys()][index] ?? null;
  }
  getItem(key: string) {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    const used = [...this.map].reduce((sum, [k, v]) => (k === key ? sum : sum + k.length + v.length), 0);
    if (used + key.length + value.length > this.budget) {
      throw Object.assign(new Error("quota"), { name: "QuotaExceededError" });
    }
    this.map.set(key, value);
  }
  removeItem(key: string) {
    this.map.delete(key);
  }
  clear() {
    this.map.clear();
  }
}

describe("DashboardCache", () => {
  it("round-trips a state with its rev through the codec", async () => {
    const cache = new DashboardCache(memoryBackend());
    expect(await cache.load(owner, "me")).toEqual({ kind: "miss" });
    expect(await cache.save(owner, "me", state(), 7)).toEqual({ ok: true, evicted: 0 });
    const loaded = await cache.load(owner, "me");
    expect(loaded).toMatchObject({ kind: "hit", rev: 7, migratedFrom: 1, state: state() });
    const raw = JSON.parse((await cache.backend.get(cacheKey(owner, "me")))!);
    expect(raw).toMatchObject({ format: 1, schemaVersion: 1, rev: 7, encoded: { v: 1, enc: "zlib-utf16" } });
  });

  it("migrates an older schemaVersion on load and stores it back in today's shape", async () => {
    const backend = memoryBackend();
    const v0 = {
      widgets: [{ id: "old", type: "note", title: "Old", props: { markdown: "hi" }, x: 1, y: 2, w: 3, h: 4 }],
    };
    await backend.set(
      cacheKey(owner, "me"),
      JSON.stringify({
        format: 1,
        dashboardId: "me",
        rev: 3,
        schemaVersion: 0,
        savedAt: "2025-01-01T00:00:00Z",
        encoded: encodeState(v0),
      }),
    );
    const cache = new DashboardCache(backend);
    const loaded = await cache.load(owner, "me");
    expect(loaded).toMatchObject({ kind: "hit", migratedFrom: 0, rev: 3 });
    if (loaded.kind !== "hit") return;
    expect(loaded.state.layout.items).toEqual([{ widgetId: "old", x: 1, y: 2, w: 3, h: 4 }]);
    expect(JSON.parse((await backend.get(cacheKey(owner, "me")))!).schemaVersion).toBe(1);
  });

  it.each([
    ["not JSON", "{{{"],
    ["an unknown format", JSON.stringify({ format: 9, rev: 1, savedAt: "x", encoded: {} })],
    [
      "garbage compressed data",
      JSON.stringify({ format: 1, rev: 1, savedAt: "x", encoded: { v: 1, enc: "zlib-utf16", data: "zzz" } }),
    ],
    [
      "a state that fails validation",
      JSON.stringify({
        format: 1,
        rev: 1,
        savedAt: "x",
        encoded: encodeState({ schemaVersion: 1, layout: 5 }),
      }),
    ],
    [
      "a newer schemaVersion",
      JSON.stringify({
        format: 1,
        rev: 1,
        savedAt: "x",
        encoded: encodeState({ ...state(), schemaVersion: 99 }),
      }),
    ],
  ])("discards %s and deletes the key", async (_what, raw) => {
    const backend = memoryBackend();
    await backend.set(cacheKey(owner, "me"), raw);
    const loaded = await new DashboardCache(backend).load(owner, "me");
    expect(loaded.kind).toBe("discarded");
    expect(await backend.get(cacheKey(owner, "me"))).toBeUndefined();
  });

  it("on a quota error evicts only its own other keys, oldest first, then reports if still full", async () => {
    // Room for two and a half records of this size (plus a key of someone else's).
    const probe = memoryBackend();
    await new DashboardCache(probe).save(owner, "first", state("1"), 1);
    const recordSize = (await probe.get(cacheKey(owner, "first")))!.length + cacheKey(owner, "first").length;
    const storage = new TinyStorage(Math.floor(recordSize * 2.5) + 20);
    storage.setItem("someone-else", "keep me");
    let now = 0;
    const cache = new DashboardCache(
      localStorageBackend(storage),
      () => new Date(Date.UTC(2025, 0, 1, 0, 0, now++)),
    );
    expect((await cache.save(owner, "first", state("1"), 1)).ok).toBe(true);
    expect((await cache.save(owner, "second", state("2"), 1)).ok).toBe(true);
    const third = await cache.save(owner, "third", state("3"), 1);
    expect(third).toMatchObject({ ok: true });
    expect(third.evicted).toBeGreaterThan(0);
    expect(storage.getItem(cacheKey(owner, "first"))).toBeNull();
    expect(storage.getItem(cacheKey(owner, "third"))).not.toBeNull();
    expect(storage.getItem("someone-else")).toBe("keep me");

    const huge = state("h");
    (huge.widgets.n as { props: { markdown: string } }).props.markdown = Array.from(
      { length: 3000 },
      (_, i) => `${i}:${Math.sin(i)}`,
    ).join();
    const full = await cache.save(owner, "huge", huge, 1);
    expect(full).toMatchObject({ ok: false, reason: "quota" });
    expect(storage.getItem("someone-else")).toBe("keep me");
  });

  it("clearOwner removes this user's dashboards only", async () => {
    const backend = memoryBackend();
    const cache = new DashboardCache(backend);
    await cache.save(owner, "me", state(), 1);
    await cache.save(owner, "team", state(), 1);
    const other = { workspaceId: "ws_1", userId: "usr_2" };
    await cache.save(other, "me", state(), 1);
    expect(await cache.clearOwner(owner)).toBe(2);
    expect(await backend.keys()).toEqual([cacheKey(other, "me")]);
  });

  it("a failing backend is reported, not thrown", async () => {
    const broken: CacheBackend = {
      ...memoryBackend(),
      set: async () => {
        throw new Error("disk on fire");
      },
      get: async () => {
        throw new CacheQuotaError();
      },
    };
    const cache = new DashboardCache(broken);
    expect(await cache.save(owner, "me", state(), 1)).toMatchObject({ ok: false, reason: "error" });
    expect((await cache.load(owner, "me")).kind).toBe("discarded");
    expect(CACHE_KEY_PREFIX).toBe("agentboard:cache:");
  });
});
