import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqlite } from "../../src/storage/sqlite.js";
import { describeIdentityStore } from "./identity-store-suite.js";

describeIdentityStore("SQLite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "agentboard-identity-store-"));
  const sqlite = await openSqlite(join(dir, "agentboard.sqlite"), { log: console });
  return {
    db: sqlite.db,
    async close() {
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
