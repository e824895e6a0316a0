import type { DashboardState } from "../../packages/protocol/src/dashboard/dashboard-state.js";
import type { DashboardSync } from "../../packages/server/src/dashboards/sqlite-dashboard-store.js";
import { openEmbeddedRuntime } from "../../packages/server/src/runtime/embedded.js";
import { cyclingEdit } from "./patch-workload.js";

/** DashboardService.patch on the embedded runtime, in process: everything of a PATCH except HTTP and auth. */
export interface ServiceWriter {
  write(i: number): Promise<void>;
  close(): Promise<void>;
}

const PRINCIPAL = "user:bench";

/** `sync`: AGENTBOARD_DASHBOARD_SYNC; the gap between `full` and `normal` is what the fsync per commit costs. */
export async function openServicePath(
  dataDir: string,
  state: DashboardState,
  options: { logLimit: number; sync: DashboardSync },
): Promise<ServiceWriter> {
  const runtime = await openEmbeddedRuntime({
    dataDir,
    patchLogLimit: options.logLimit,
    dashboardSync: options.sync,
    log: { error: (details, message) => console.error(message, details) },
  });
  const workspace = await runtime.identity.ensureWorkspace("bench");
  const key = { workspaceId: workspace.id, dashboardId: "bench" };
  let { rev } = await runtime.dashboards.put(key, { baseRev: 0, state }, PRINCIPAL);
  const widgetIds = Object.keys(state.widgets);
  return {
    async write(i) {
      const { ops } = cyclingEdit(widgetIds, "service", i);
      // baseRev = current rev: the sequential writer never needs a rebase.
      ({ rev } = await runtime.dashboards.patch(key, { baseRev: rev, ops }, PRINCIPAL));
    },
    close: () => runtime.close(),
  };
}
