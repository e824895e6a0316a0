import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KyselyApprovalStore } from "../../src/approvals/kysely-approval-store.js";
import { IdentityStore } from "../../src/auth/identity-store.js";
import { openSqlite } from "../../src/storage/sqlite.js";
import { describeApprovalStore } from "./approvals-store-suite.js";

describeApprovalStore("SQLite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "agentboard-approval-store-"));
  const sqlite = await openSqlite(join(dir, "agentboard.sqlite"), { log: console });
  const identity = new IdentityStore(sqlite.db);
  const a = await identity.ensureWorkspace("alpha");
  const b = await identity.ensureWorkspace("beta");
  return {
    store: new KyselyApprovalStore(sqlite.db),
    workspaces: [a.id, b.id],
    async close() {
      await sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
