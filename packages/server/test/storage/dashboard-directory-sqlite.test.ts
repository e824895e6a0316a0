import { SqliteDashboardDirectory } from "../../src/dashboards/sqlite-dashboard-directory.js";
import { DIRECTORY_WORKSPACES, describeDashboardDirectory } from "./dashboard-directory-suite.js";
import { openSqliteDashboardFixture } from "./sqlite-dashboard-fixture.js";

describeDashboardDirectory("SQLite", async () => {
  const fixture = await openSqliteDashboardFixture(
    "normal",
    DIRECTORY_WORKSPACES,
    "agentboard-dashboard-directory-",
  );
  const db = fixture.sqlite.db;
  return {
    ...fixture,
    directory: new SqliteDashboardDirectory(db),
    limited: (limit) => new SqliteDashboardDirectory(db, limit),
  };
});
