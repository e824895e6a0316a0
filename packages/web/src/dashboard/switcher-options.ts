import type { DashboardListItem } from "@agentboard/protocol";

export interface SwitcherOption {
  /** Where the app shows it: `/` for the user's own dashboard, `/d/<slug>` for a shared one. */
  path: string;
  label: string;
}

/** The app's path of a dashboard id as routed (`me` or a shared slug). */
export function pathOfDashboard(dashboardId: string): string {
  return dashboardId === "me" ? "/" : `/d/${dashboardId}`;
}

/**
 * The switcher's choices from `GET /api/dashboards`: the user's own personal dashboard first (listed as
 * `user:<id>`, shown at `/`), then the shared ones by slug. Other personal dashboards have no page in the
 * app (users cannot read them anyway). The dashboard on screen is always a choice, even a shared one
 * nobody has written yet (the server lists only shared dashboards that exist).
 */
export function switcherOptions(
  items: readonly DashboardListItem[],
  currentDashboardId: string,
): SwitcherOption[] {
  const options: SwitcherOption[] = [{ path: "/", label: "My dashboard" }];
  for (const item of items) {
    if (item.kind === "shared")
      options.push({ path: pathOfDashboard(item.id), label: item.title ?? item.id });
  }
  const current = pathOfDashboard(currentDashboardId);
  if (!options.some((option) => option.path === current)) {
    options.push({ path: current, label: currentDashboardId });
  }
  return options;
}
