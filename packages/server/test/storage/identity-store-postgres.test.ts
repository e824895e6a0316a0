import { describeIdentityStore } from "./identity-store-suite.js";
import { postgresPerFile } from "./postgres-fixture.js";

const postgres = postgresPerFile();

describeIdentityStore("PostgreSQL", async () => {
  const { db } = await postgres();
  return { db, close: async () => {} };
});
