import { KyselyApprovalStore } from "../../src/approvals/kysely-approval-store.js";
import { IdentityStore } from "../../src/auth/identity-store.js";
import { describeApprovalStore } from "./approvals-store-suite.js";
import { postgresPerFile } from "./postgres-fixture.js";

const postgres = postgresPerFile();

// The approval store is one class of portable Kysely queries; here it runs on PostgreSQL (cluster mode).
describeApprovalStore("PostgreSQL", async () => {
  const { db } = await postgres();
  const identity = new IdentityStore(db);
  const a = await identity.ensureWorkspace("alpha");
  const b = await identity.ensureWorkspace("beta");
  return { store: new KyselyApprovalStore(db), workspaces: [a.id, b.id], close: async () => {} };
});
