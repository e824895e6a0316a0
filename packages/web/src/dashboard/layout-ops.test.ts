import { applyDashboardPatch, type DashboardState, type Widget } from "@agentboard/protocol";
import { describe, expect, it } from "vitest";
import { clampRect, opsForIntent, placeItem, resolveConflict } from "./layout-ops";

const widget = (id: string): Widget => ({
  id,
  type: "alert",
  title: id,
  props: { severity: "info", message: id },
  status: "ready",
  updatedAt: "2025-03-14T12:00:00.000Z",
  updatedBy: "agent:test",
});

function state(items: DashboardState["layout"]["items"], extra: string[] = []): DashboardState {
  const ids = [...items.map((item) => item.widgetId), ...extra];
  return {
    schemaVersion: 1,
    layout: { columns: 12, items },
    widgets: Object.fromEntries(ids.map((id) => [id, widget(id)])),
    preferences: {},
  };
}

const base = state([
  { widgetId: "a", x: 0, y: 0, w: 4, h: 3 },
  { widgetId: "b", x: 4, y: 0, w: 4, h: 3 },
  { widgetId: "c", x: 0, y: 3, w: 4, h: 3 },
]);

const apply = (s: DashboardState, ops: ReturnType<typeof opsForIntent>) => applyDashboardPatch(s, ops!).state;

describe("layout intents → JSON Patch", () => {
  it("a move replaces only the moved item, guarded by a test of its old value", () => {
    const ops = opsForIntent(base, { kind: "move", widgetId: "b", to: { x: 8, y: 0, w: 4, h: 3 } });
    expect(ops).toEqual([
      { op: "test", path: "/layout/items/1", value: { widgetId: "b", x: 4, y: 0, w: 4, h: 3 } },
      { op: "replace", path: "/layout/items/1", value: { widgetId: "b", x: 8, y: 0, w: 4, h: 3 } },
    ]);
    expect(apply(base, ops).layout.items[1]).toMatchObject({ x: 8 });
  });

  it("pushes overlapped items down, each with its own guard, and never leaves overlaps", () => {
    const ops = opsForIntent(base, { kind: "move", widgetId: "b", to: { x: 0, y: 0, w: 4, h: 2 } })!;
    const next = apply(base, ops).layout.items;
    expect(next.find((i) => i.widgetId === "a")).toMatchObject({ y: 2 });
    expect(next.find((i) => i.widgetId === "c")).toMatchObject({ y: 5 });
    expect(ops.filter((op) => op.op === "test")).toHaveLength(3);
    for (const [i, p] of next.entries()) {
      for (const q of next.slice(i + 1)) {
        const overlap = p.x < q.x + q.w && q.x < p.x + p.w && p.y < q.y + q.h && q.y < p.y + p.h;
        expect(overlap, `${p.widgetId} overlaps ${q.widgetId}`).toBe(false);
      }
    }
  });

  it("clamps to the grid and does nothing for a no-op move", () => {
    expect(clampRect({ x: 11, y: -3, w: 4, h: 0 })).toEqual({ x: 8, y: 0, w: 4, h: 1 });
    expect(opsForIntent(base, { kind: "move", widgetId: "a", to: { x: -1, y: 0, w: 4, h: 3 } })).toBeNull();
    expect(opsForIntent(base, { kind: "move", widgetId: "zzz", to: { x: 1, y: 0, w: 4, h: 3 } })).toBeNull();
  });

  it("dismiss removes the layout item (the widget stays); restore puts it back at the bottom", () => {
    const dismissed = apply(base, opsForIntent(base, { kind: "dismiss", widgetId: "b" }));
    expect(dismissed.layout.items.map((i) => i.widgetId)).toEqual(["a", "c"]);
    expect(dismissed.widgets.b).toBeDefined();
    const restored = apply(dismissed, opsForIntent(dismissed, { kind: "restore", widgetId: "b" }));
    expect(restored.layout.items.at(-1)).toEqual({ widgetId: "b", x: 0, y: 6, w: 6, h: 4 });
    expect(opsForIntent(restored, { kind: "restore", widgetId: "b" })).toBeNull();
  });

  it("guarded ops stop applying when another edit moved the item or shifted the array", () => {
    const ops = opsForIntent(base, { kind: "move", widgetId: "c", to: { x: 4, y: 3, w: 4, h: 3 } })!;
    const shifted = apply(base, opsForIntent(base, { kind: "dismiss", widgetId: "a" }));
    expect(() => applyDashboardPatch(shifted, ops)).toThrow();
  });

  it("placeItem keeps the array order", () => {
    expect(placeItem(base.layout.items, "c", { x: 0, y: 0, w: 12, h: 1 }).map((i) => i.widgetId)).toEqual([
      "a",
      "b",
      "c",
    ]);
  });
});

describe("conflict resolution by intent", () => {
  const from = { widgetId: "c", x: 0, y: 3, w: 4, h: 3 };
  const move = { kind: "move" as const, widgetId: "c", to: { x: 4, y: 3, w: 4, h: 3 } };

  it("re-applies an edit whose widget nobody else touched (only indices shifted)", () => {
    const shifted = apply(base, opsForIntent(base, { kind: "dismiss", widgetId: "a" }));
    expect(resolveConflict(move, from, shifted)).toBe("reapply");
  });

  it("reports a lost edit when someone else moved the same widget", () => {
    const moved = apply(
      base,
      opsForIntent(base, { kind: "move", widgetId: "c", to: { x: 8, y: 3, w: 4, h: 3 } }),
    );
    expect(resolveConflict(move, from, moved)).toBe("lost");
  });

  it("is converged when the winning state already has the edit", () => {
    const same = apply(base, opsForIntent(base, move));
    expect(resolveConflict(move, from, same)).toBe("converged");
    const dismissed = apply(base, opsForIntent(base, { kind: "dismiss", widgetId: "c" }));
    expect(resolveConflict({ kind: "dismiss", widgetId: "c" }, from, dismissed)).toBe("converged");
    expect(resolveConflict({ kind: "restore", widgetId: "c" }, undefined, base)).toBe("converged");
  });
});
