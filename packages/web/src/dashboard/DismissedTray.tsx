import { useShallow } from "zustand/react/shallow";
import { useDashboardActions } from "./dashboard-actions";
import { useDashboard } from "./dashboard-store";

/** Widgets without a layout item were dismissed; they can be put back. */
export function DismissedTray() {
  const actions = useDashboardActions();
  const editable = useDashboard((state) => state.editable);
  const dismissed = useDashboard(
    useShallow((state) => {
      const placed = new Set(state.items.map((item) => item.widgetId));
      return Object.values(state.widgets)
        .filter((widget) => !placed.has(widget.id))
        .map((widget) => `${widget.id}\u0000${widget.title}`);
    }),
  );
  if (dismissed.length === 0) return null;
  return (
    <section className="dismissed" aria-label="Dismissed widgets">
      <h2 className="dismissed__title">Dismissed</h2>
      <ul className="dismissed__list">
        {dismissed.map((entry) => {
          const [widgetId = "", title = ""] = entry.split("\u0000");
          return (
            <li key={widgetId} data-dismissed-widget-id={widgetId}>
              <span>{title}</span>
              <button
                type="button"
                className="button button--small"
                disabled={!editable}
                aria-label={`Restore ${title}`}
                onClick={() => actions.edit({ kind: "restore", widgetId })}
              >
                Restore
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
