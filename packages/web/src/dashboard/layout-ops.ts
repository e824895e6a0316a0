import {
  type DashboardState,
  GRID_COLUMNS,
  type JsonPatchOp,
  type LayoutItem,
  type WidgetType,
} from "@agentboard/protocol";

/** A user's layout edit, in words that survive a rebase (widget ids, not array indices). */
export type LayoutIntent =
  | { kind: "move"; widgetId: string; to: Rect }
  | { kind: "dismiss"; widgetId: string }
  | { kind: "restore"; widgetId: string };

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

const MAX_Y = 10_000;
const MAX_H = 100;
const RESTORE_HEIGHT = 4;

/** Widths a restored widget gets, by type (the server uses the same idea for new widgets). */
const RESTORE_WIDTH: Record<WidgetType, number> = {
  project_status: 4,
  task_list: 4,
  metrics: 6,
  alert: 6,
  activity: 4,
  chart: 6,
  table: 6,
  note: 4,
};

export function clampRect(rect: Rect): Rect {
  const w = Math.min(Math.max(1, Math.round(rect.w)), GRID_COLUMNS);
  const h = Math.min(Math.max(1, Math.round(rect.h)), MAX_H);
  const x = Math.min(Math.max(0, Math.round(rect.x)), GRID_COLUMNS - w);
  const y = Math.min(Math.max(0, Math.round(rect.y)), MAX_Y);
  return { x, y, w, h };
}

export function sameRect(a: Rect, b: Rect): boolean {
  return a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;
}

function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

export function findItem(
  state: DashboardState,
  widgetId: string,
): { item: LayoutItem; index: number } | undefined {
  const index = state.layout.items.findIndex((item) => item.widgetId === widgetId);
  return index < 0 ? undefined : { item: state.layout.items[index]!, index };
}

/**
 * The layout after placing `widgetId` at `to`: every other item that would overlap is pushed down just
 * far enough, in top-to-bottom order, so nothing overlaps what is already placed.
 */
export function placeItem(items: readonly LayoutItem[], widgetId: string, to: Rect): LayoutItem[] {
  const moved: LayoutItem = { widgetId, ...to };
  const placed: LayoutItem[] = [moved];
  const others = items.filter((item) => item.widgetId !== widgetId).sort((a, b) => a.y - b.y || a.x - b.x);
  for (const original of others) {
    const item = { ...original };
    for (;;) {
      const blockers = placed.filter((other) => overlaps(item, other));
      if (blockers.length === 0) break;
      item.y = Math.max(...blockers.map((other) => other.y + other.h));
    }
    placed.push(item);
  }
  const byId = new Map(placed.map((item) => [item.widgetId, item]));
  return items.map((item) => byId.get(item.widgetId)!);
}

/**
 * JSON Patch ops for an intent against `state`, or null when there is nothing to do. Every op that
 * replaces or removes an array element is preceded by a `test` of that element's full value: if another
 * edit moved it or shifted the array, the ops no longer apply and the replica reports a conflict instead of
 * changing the wrong widget.
 */
export function opsForIntent(state: DashboardState, intent: LayoutIntent): JsonPatchOp[] | null {
  switch (intent.kind) {
    case "move": {
      const found = findItem(state, intent.widgetId);
      if (!found) return null;
      const to = clampRect(intent.to);
      if (sameRect(found.item, to)) return null;
      const next = placeItem(state.layout.items, intent.widgetId, to);
      const ops: JsonPatchOp[] = [];
      next.forEach((item, index) => {
        const before = state.layout.items[index]!;
        if (sameRect(before, item)) return;
        const path = `/layout/items/${index}`;
        ops.push({ op: "test", path, value: before }, { op: "replace", path, value: item });
      });
      return ops;
    }
    case "dismiss": {
      const found = findItem(state, intent.widgetId);
      if (!found) return null;
      const path = `/layout/items/${found.index}`;
      return [
        { op: "test", path, value: found.item },
        { op: "remove", path },
      ];
    }
    case "restore": {
      const widget = state.widgets[intent.widgetId];
      if (!widget || findItem(state, intent.widgetId)) return null;
      const bottom = state.layout.items.reduce((max, item) => Math.max(max, item.y + item.h), 0);
      const value: LayoutItem = {
        widgetId: intent.widgetId,
        x: 0,
        y: Math.min(bottom, MAX_Y),
        w: RESTORE_WIDTH[widget.type],
        h: RESTORE_HEIGHT,
      };
      return [{ op: "add", path: "/layout/items/-", value }];
    }
  }
}

/** What to do with an edit the replica dropped as a conflict, judged against the state that won. */
export type ConflictDecision = "reapply" | "converged" | "lost";

/**
 * `from` is the widget's layout item when the edit was made. An edit whose widget nobody else touched (only
 * array positions shifted) is re-applied silently; one that the winning state already contains is done;
 * anything else lost to someone else's change of the same widget, and the user is told.
 */
export function resolveConflict(
  intent: LayoutIntent,
  from: LayoutItem | undefined,
  current: DashboardState,
): ConflictDecision {
  const now = findItem(current, intent.widgetId)?.item;
  switch (intent.kind) {
    case "move":
      if (!now || !from) return "lost";
      if (sameRect(now, clampRect(intent.to))) return "converged";
      return sameRect(now, from) ? "reapply" : "lost";
    case "dismiss":
      if (!now) return "converged";
      return from && sameRect(now, from) ? "reapply" : "lost";
    case "restore":
      if (now) return "converged";
      return current.widgets[intent.widgetId] ? "reapply" : "lost";
  }
}
