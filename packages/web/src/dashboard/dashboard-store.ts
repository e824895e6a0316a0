import type { DashboardState, LayoutItem, Widget } from "@agentboard/protocol";
import { createStore, useStore } from "zustand";
import { shareStructure } from "./share-structure";

/**
 * Where the shown state came from: nothing yet, the local cache (with any edits made on it before the server
 * answered), or the replica once it has caught up with the server.
 */
export type DashboardSource = "none" | "cache" | "server";

export interface DashboardViewState {
  dashboardId: string | null;
  /** The server rev of what is shown (the confirmed rev while local edits are pending). */
  rev: number;
  source: DashboardSource;
  items: readonly LayoutItem[];
  widgets: Readonly<Record<string, Widget>>;
  /**
   * Edits need a replica with a state: one started from the cached copy takes them at once (also offline);
   * without a cached copy nothing is editable until the server's first snapshot.
   */
  editable: boolean;
  /** schemaVersion the cached copy was migrated from, when it was older than this build's. */
  cacheMigratedFrom: number | null;
}

const EMPTY: Omit<DashboardViewState, "dashboardId"> = {
  rev: 0,
  source: "none",
  items: [],
  widgets: {},
  editable: false,
  cacheMigratedFrom: null,
};

export const dashboardStore = createStore<DashboardViewState>(() => ({ dashboardId: null, ...EMPTY }));

export function resetDashboardView(dashboardId: string | null): void {
  dashboardStore.setState({ dashboardId, ...EMPTY });
}

export function showDashboardState(
  state: DashboardState,
  rev: number,
  source: Exclude<DashboardSource, "none">,
  extra: Partial<Pick<DashboardViewState, "editable" | "cacheMigratedFrom">> = {},
): void {
  dashboardStore.setState((previous) => ({ ...shareStructure(previous, state), rev, source, ...extra }));
}

export function useDashboard<T>(selector: (state: DashboardViewState) => T): T {
  return useStore(dashboardStore, selector);
}

/** One widget; the reference changes only when that widget's content does. */
export function useWidget(widgetId: string): Widget | undefined {
  return useStore(dashboardStore, (state) => state.widgets[widgetId]);
}
