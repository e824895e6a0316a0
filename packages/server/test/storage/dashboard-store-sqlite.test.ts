import { describeDashboardStore, SUITE_WORKSPACES } from "./dashboard-store-suite.js";
import { openSqliteDashboardFixture } from "./sqlite-dashboard-fixture.js";

// Both commit modes of AGENTBOARD_DASHBOARD_SYNC keep the same contract; they differ only in the fsync.
for (const sync of ["full", "normal"] as const)
  describeDashboardStore(`SQLite (sync ${sync})`, () =>
    openSqliteDashboardFixture(sync, SUITE_WORKSPACES, "agentboard-dashboard-store-"),
  );
