import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { openSqlite } from "../../src/storage/sqlite.js";
import { startCheckpointer } from "../../src/storage/sqlite-checkpointer.js";

describe("background WAL checkpoints", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "agentboard-checkpoint-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("folds committed writes into the database file without a checkpoint inside any commit", async () => {
    const file = join(dir, "agentboard.sqlite");
    const sqlite = await openSqlite(file, { log: console });
    try {
      // Automatic checkpoints are off on the server's connection: only the thread can grow the main file.
      expect(await sqlite.exclusive((c) => c.pragma("wal_autocheckpoint", { simple: true }))).toBe(0);
      const before = statSync(file).size;
      const name = "x".repeat(400_000);
      await sqlite.db
        .insertInto("workspaces")
        .values({ id: "ws_big", name, created_at: new Date().toISOString() })
        .execute();
      expect(statSync(`${file}-wal`).size).toBeGreaterThan(400_000);
      await vi.waitFor(() => expect(statSync(file).size).toBeGreaterThan(before + 400_000), {
        timeout: 10_000,
        interval: 100,
      });
    } finally {
      await sqlite.close();
    }
    // The thread's connection closed first, so the server's close removed the WAL.
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it("reports a thread that cannot work, so the caller can fall back to automatic checkpoints", async () => {
    const failure = new Promise<Error>((resolve) => {
      const checkpointer = startCheckpointer({
        file: join(dir, "missing.sqlite"),
        intervalMs: 50,
        onFailure: (error) => {
          resolve(error);
          void checkpointer.stop();
        },
      });
    });
    const error = await Promise.race([
      failure,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no failure reported")), 10_000)),
    ]);
    expect(error.message).toMatch(/^WAL checkpoint failed: .*(open|exist)/i);
  });
});
