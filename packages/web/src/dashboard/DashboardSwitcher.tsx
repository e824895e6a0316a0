import type { DashboardListItem } from "@agentboard/protocol";
import { type ChangeEvent, useCallback, useEffect, useId, useState } from "react";
import { board } from "../lib/api";
import { navigate } from "../lib/router";
import { pathOfDashboard, switcherOptions } from "./switcher-options";

/**
 * Picks the dashboard on screen: the user's own and the workspace's shared ones (`GET /api/dashboards`),
 * the choice kept in the URL (`/`, `/d/<slug>`), so it survives a reload and can be shared as a link.
 * The list is fetched again when the dashboard changes and whenever the control gets focus, so a shared
 * dashboard an agent created since shows up. A failed fetch keeps the last list (offline, the cached
 * dashboards still open).
 */
export function DashboardSwitcher({ dashboardId }: { dashboardId: string }) {
  const id = useId();
  const [items, setItems] = useState<DashboardListItem[]>([]);
  const load = useCallback(() => {
    let live = true;
    board.dashboards
      .list()
      .then((listed) => {
        if (live) setItems(listed);
      })
      .catch(() => {});
    return () => {
      live = false;
    };
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: refetched when the dashboard on screen changes.
  useEffect(load, [load, dashboardId]);
  const onChange = (event: ChangeEvent<HTMLSelectElement>) => navigate(event.target.value);
  return (
    <div className="switcher">
      <label htmlFor={id} className="visually-hidden">
        Dashboard
      </label>
      <select
        id={id}
        className="switcher__select"
        value={pathOfDashboard(dashboardId)}
        onChange={onChange}
        onFocus={() => void load()}
      >
        {switcherOptions(items, dashboardId).map((option) => (
          <option key={option.path} value={option.path}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}
