import { createHash } from "node:crypto";
import {
  canonicalJson,
  type DashboardState,
  GRID_COLUMNS,
  type JsonPatchOp,
  type WidgetType,
} from "@agentboard/protocol";

/** Pure pieces of dashboard writes: the ops of whole-state writes, where a new widget goes, request hashes. */

const DEFAULT_WIDTH: Record<WidgetType, number> = {
  project_status: 4,
  task_list: 6,
  metrics: 6,
  alert: 6,
  activity: 4,
  chart: 6,
  table: 8,
  note: 4,
};

/** Conflict paths of a whole-state write (PUT, reset): every root it replaces. */
export const ROOT_REPLACE_PATHS = ["/layout", "/preferences", "/widgets"];

export function replaceRootsOps(state: DashboardState): JsonPatchOp[] {
  return [
    { op: "replace", path: "/layout", value: state.layout },
    { op: "replace", path: "/preferences", value: state.preferences },
    { op: "replace", path: "/widgets", value: state.widgets },
  ];
}

/** The layout item of a new widget: full-width default for its type, below everything else. */
export function placeBelow(state: DashboardState, widgetId: string, type: WidgetType) {
  const y = state.layout.items.reduce((max, item) => Math.max(max, item.y + item.h), 0);
  return { widgetId, x: 0, y: Math.min(y, 10_000), w: Math.min(DEFAULT_WIDTH[type], GRID_COLUMNS), h: 4 };
}

/** SHA-256 (hex) of a request's canonical JSON: what an idempotency record is bound to. */
export function contentHash(content: unknown): string {
  return createHash("sha256").update(canonicalJson(content)).digest("hex");
}
