import type { DashboardState } from "@agentboard/protocol";
import { describe, expect, it } from "vitest";
import { shareStructure } from "./share-structure";

const state = (message: string): DashboardState => ({
  schemaVersion: 1,
  layout: {
    columns: 12,
    items: [
      { widgetId: "a", x: 0, y: 0, w: 4, h: 3 },
      { widgetId: "b", x: 4, y: 0, w: 4, h: 3 },
    ],
  },
  widgets: {
    a: {
      id: "a",
      type: "alert",
      title: "A",
      props: { severity: "info", message: "same" },
      status: "ready",
      updatedAt: "2025-01-01",
      updatedBy: "x",
    },
    b: {
      id: "b",
      type: "alert",
      title: "B",
      props: { severity: "info", message },
      status: "ready",
      updatedAt: "2025-01-01",
      updatedBy: "x",
    },
  },
  preferences: {},
});

describe("shareStructure", () => {
  it("keeps the old reference of every unchanged widget and of an unchanged layout, even from a deep copy", () => {
    const first = shareStructure({ items: [], widgets: {} }, state("one"));
    const second = shareStructure(first, structuredClone(state("two")));
    expect(second.widgets.a).toBe(first.widgets.a);
    expect(second.widgets.b).not.toBe(first.widgets.b);
    expect(second.items).toBe(first.items);
    const third = shareStructure(second, structuredClone(state("two")));
    expect(third.widgets).toBe(second.widgets);
  });

  it("notices removed widgets and layout changes", () => {
    const first = shareStructure({ items: [], widgets: {} }, state("one"));
    const next = state("one");
    delete (next.widgets as Record<string, unknown>).b;
    next.layout.items = next.layout.items.slice(0, 1);
    const second = shareStructure(first, next);
    expect(Object.keys(second.widgets)).toEqual(["a"]);
    expect(second.items).not.toBe(first.items);
  });
});
