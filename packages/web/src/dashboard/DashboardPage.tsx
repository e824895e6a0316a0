import { useEffect, useMemo, useState } from "react";
import type { DashboardCache } from "../cache/dashboard-cache";
import { board, refreshWidget } from "../lib/api";
import { useSession } from "../session/session-store";
import { DashboardGrid } from "./DashboardGrid";
import { DismissedTray } from "./DismissedTray";
import { type DashboardActions, DashboardActionsContext } from "./dashboard-actions";
import { DashboardController } from "./dashboard-controller";
import { useDashboard } from "./dashboard-store";

interface DashboardPageProps {
  dashboardId: string;
  cache: DashboardCache | null;
  onRefused(): void;
}

/** Owns the controller of the dashboard on screen: opened on mount, closed when the page goes. */
export function DashboardPage({ dashboardId, cache, onRefused }: DashboardPageProps) {
  const userId = useSession((state) => state.identity?.userId);
  const workspaceId = useSession((state) => state.identity?.workspaceId);
  const [controller, setController] = useState<DashboardController | null>(null);

  useEffect(() => {
    const owner = userId && workspaceId ? { userId, workspaceId } : null;
    const next = new DashboardController({ board, dashboardId, owner, cache, onRefused });
    setController(next);
    void next.start();
    return () => {
      void next.close();
    };
  }, [dashboardId, cache, userId, workspaceId, onRefused]);

  const actions = useMemo<DashboardActions | null>(
    () =>
      controller && {
        dashboardId,
        edit: (intent) => controller.edit(intent),
        refresh: (widgetId) => refreshWidget(dashboardId, widgetId),
      },
    [controller, dashboardId],
  );
  if (!actions) return null;
  return (
    <DashboardActionsContext.Provider value={actions}>
      <DashboardView />
    </DashboardActionsContext.Provider>
  );
}

function DashboardView() {
  const source = useDashboard((state) => state.source);
  const count = useDashboard((state) => Object.keys(state.widgets).length);
  const migratedFrom = useDashboard((state) => state.cacheMigratedFrom);
  return (
    <main className="dashboard" aria-label="Dashboard" data-cache-migrated-from={migratedFrom ?? undefined}>
      {source === "cache" ? (
        <p className="dashboard__note" role="status">
          Showing the copy saved on this device
          {migratedFrom !== null ? ` (updated from an older format)` : ""}; it becomes live once the server
          answers, and changes made meanwhile are sent then.
        </p>
      ) : null}
      {source === "none" ? (
        <div className="dashboard__loading" role="status">
          Loading the dashboard…
        </div>
      ) : count === 0 ? (
        <div className="dashboard__empty">
          <h2>No widgets yet</h2>
          <p>
            Agents put widgets here through the REST API, the SDK or MCP tools. Run <code>npm start</code> for
            the demo agents.
          </p>
        </div>
      ) : (
        <DashboardGrid />
      )}
      <DismissedTray />
    </main>
  );
}
