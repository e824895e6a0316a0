import type { DashboardState } from "../../packages/protocol/src/dashboard/dashboard-state.js";
import type { JsonPatchOp } from "../../packages/protocol/src/json-patch/patch-op.js";

/** The same edit in every path of the benchmark: replace one widget's title, cycling over the widgets. */
export interface TitleEdit {
  widgetId: string;
  title: string;
  ops: JsonPatchOp[];
}

export function widgetIdsOf(state: DashboardState): string[] {
  return Object.keys(state.widgets);
}

/** Edit number `i` of a writer; `tag` keeps titles of different writers apart (and every title new). */
export function titleEdit(widgetId: string, tag: string, i: number): TitleEdit {
  const title = `${tag} edit #${i}`;
  return { widgetId, title, ops: [{ op: "replace", path: `/widgets/${widgetId}/title`, value: title }] };
}

/** Round-robin over the widgets, as a single agent updating a whole dashboard would. */
export function cyclingEdit(widgetIds: readonly string[], tag: string, i: number): TitleEdit {
  return titleEdit(widgetIds[i % widgetIds.length]!, tag, i);
}
