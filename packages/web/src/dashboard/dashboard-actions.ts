import { createContext, useContext } from "react";
import type { LayoutIntent } from "./layout-ops";

/** What widgets and the grid may ask of the current dashboard. */
export interface DashboardActions {
  dashboardId: string;
  edit(intent: LayoutIntent): void;
  /** POST …/widgets/:id/refresh; resolves once the server accepted the request. */
  refresh(widgetId: string): Promise<void>;
}

export const DashboardActionsContext = createContext<DashboardActions | null>(null);

export function useDashboardActions(): DashboardActions {
  const actions = useContext(DashboardActionsContext);
  if (!actions) throw new Error("useDashboardActions outside a dashboard");
  return actions;
}
