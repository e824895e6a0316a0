import { type DashboardState, deepEqual, type LayoutItem, type Widget } from "@agentboard/protocol";

export interface SharedView {
  items: readonly LayoutItem[];
  widgets: Readonly<Record<string, Widget>>;
}

/**
 * Keeps the previous object for every widget (and the layout) whose content did not change, so the
 * per-widget selectors return the same reference and React skips those widgets. Replicas may hand over a
 * fresh copy of the whole state after a local edit (validation rebuilds it), so identity alone is not enough.
 */
export function shareStructure(previous: SharedView, next: DashboardState): SharedView {
  let widgetsChanged = Object.keys(previous.widgets).length !== Object.keys(next.widgets).length;
  const widgets: Record<string, Widget> = {};
  for (const [id, widget] of Object.entries(next.widgets)) {
    const before = previous.widgets[id];
    if (before !== undefined && (before === widget || deepEqual(before, widget))) {
      widgets[id] = before;
    } else {
      widgets[id] = widget;
      widgetsChanged = true;
    }
  }
  const items = sameItems(previous.items, next.layout.items) ? previous.items : next.layout.items;
  return { items, widgets: widgetsChanged ? widgets : previous.widgets };
}

function sameItems(a: readonly LayoutItem[], b: readonly LayoutItem[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  return a.every((item, i) => {
    const other = b[i]!;
    return (
      item.widgetId === other.widgetId &&
      item.x === other.x &&
      item.y === other.y &&
      item.w === other.w &&
      item.h === other.h
    );
  });
}
