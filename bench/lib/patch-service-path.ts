import { sql } from "kysely";
import type { DashboardState } from "../../packages/protocol/src/dashboard/dashboard-state.js";
import { openEmbeddedRuntime } from "../../packages/server/src/runtime/embedded.js";
import { cyclingEdit } from "./patch-workload.js";

/** DashboardService.patch on the embedded runtime, in process: everything of a PATCH except HTTP and auth. */
export interface ServiceWriter {
  write(i: number): Promise<void>;
  close(): Promise<void>;
}

const PRINCIPAL = "user:bench";

/**
 * `durable: false` switches the runtime's connection to synchronous=OFF (no fsync per commit): a diagnostic
 * only, never how the server runs; the gap to the durable run is what the fsync costs the service path.
 */
export async function openServicePath(
  dataDir: string,
  state: DashboardState,
  options: { logLimit: number; durable: boolean },
): Promise<ServiceWriter> {
  const runtime = await openEmbeddedRuntime({
    dataDir,
    patchLogLimit: options.logLimit,
    log: { error: (details, message) => console.error(message, details) },
  });
  if (!options.durable) await sql`pragma synchronous = OFF`.execute(runtime.sqlite.db);
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
