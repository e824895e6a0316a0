import { describe, expect, it } from "vitest";
import { makeDashboardState, makeWidgets } from "../__fixtures__/dashboard.js";
import { DocumentTooLargeError, StateValidationError } from "../errors/index.js";
import { LIMITS } from "../limits.js";
import {
  CURRENT_SCHEMA_VERSION,
  DashboardStateSchema,
  defaultDashboardState,
  jsonByteLength,
  validateDashboardState,
} from "./dashboard-state.js";
import { WIDGET_TYPES } from "./widget-props.js";

function validationError(value: unknown): StateValidationError {
  try {
    validateDashboardState(value);
  } catch (error) {
    if (error instanceof StateValidationError) return error;
    throw error;
  }
  throw new Error("expected a StateValidationError");
}

describe("validateDashboardState", () => {
  it("accepts the fixture with every catalogue widget type and returns an equal state", () => {
    const state = makeDashboardState();
    expect(new Set(Object.values(state.widgets).map((w) => w.type))).toEqual(new Set(WIDGET_TYPES));
    expect(validateDashboardState(state)).toEqual(state);
  });

  it("accepts the default state", () => {
    expect(validateDashboardState(defaultDashboardState())).toEqual({
      schemaVersion: CURRENT_SCHEMA_VERSION,
      layout: { columns: 12, items: [] },
      widgets: {},
      preferences: {},
    });
  });

  it.each(WIDGET_TYPES)("accepts a state holding only a %s widget", (type) => {
    const widget = makeWidgets()[type];
    const state = {
      ...defaultDashboardState(),
      layout: { columns: 12, items: [{ widgetId: widget.id, x: 0, y: 0, w: 12, h: 4 }] },
      widgets: { [widget.id]: widget },
    };
    expect(validateDashboardState(state).widgets[widget.id]).toEqual(widget);
  });

  it("requires each widgets key to equal the widget id", () => {
    const state = makeDashboardState();
    const note = state.widgets.note!;
    delete state.widgets.note;
    state.widgets.other = note;
    state.layout.items = state.layout.items.map((i) =>
      i.widgetId === "note" ? { ...i, widgetId: "other" } : i,
    );
    const error = validationError(state);
    expect(error.issues).toEqual([{ path: "/widgets/other/id", message: "must equal its key in widgets" }]);
  });

  it("rejects a layout item for a missing widget", () => {
    const state = makeDashboardState();
    state.layout.items.push({ widgetId: "ghost", x: 0, y: 50, w: 1, h: 1 });
    const error = validationError(state);
    expect(error.issues).toEqual([
      { path: `/layout/items/${state.layout.items.length - 1}/widgetId`, message: "unknown widget" },
    ]);
  });

  it("rejects a duplicate layout item", () => {
    const state = makeDashboardState();
    state.layout.items.push({ ...state.layout.items[0]!, y: 99 });
    const error = validationError(state);
    expect(error.issues).toEqual([
      { path: `/layout/items/${state.layout.items.length - 1}/widgetId`, message: "duplicate widget" },
    ]);
  });

  it("rejects a layout item wider than the grid (x + w > 12) and out-of-range coordinates", () => {
    const state = makeDashboardState();
    state.layout.items[0] = { ...state.layout.items[0]!, x: 8, w: 5 };
    expect(validationError(state).issues.map((i) => i.path)).toEqual(["/layout/items/0/w"]);
    const fits = makeDashboardState();
    fits.layout.items[0] = { ...fits.layout.items[0]!, x: 8, w: 4 };
    expect(() => validateDashboardState(fits)).not.toThrow();
    for (const bad of [{ x: -1 }, { x: 12 }, { w: 0 }, { h: 0 }, { y: 1.5 }]) {
      const s = makeDashboardState();
      s.layout.items[0] = { ...s.layout.items[0]!, ...bad };
      expect(() => validateDashboardState(s)).toThrow(StateValidationError);
    }
  });

  it("rejects a wrong schemaVersion, unknown roots, and a wrong column count", () => {
    expect(() => validateDashboardState({ ...makeDashboardState(), schemaVersion: 2 })).toThrow(
      StateValidationError,
    );
    expect(() => validateDashboardState({ ...makeDashboardState(), extra: 1 })).toThrow(StateValidationError);
    expect(() =>
      validateDashboardState({ ...makeDashboardState(), layout: { columns: 10, items: [] } }),
    ).toThrow(StateValidationError);
    expect(() => validateDashboardState({ ...makeDashboardState(), preferences: { theme: "neon" } })).toThrow(
      StateValidationError,
    );
  });

  it("rejects a forbidden widget key even when the widget id matches it", () => {
    const note = { ...makeWidgets().note, id: "constructor" };
    const state = { ...defaultDashboardState(), widgets: { constructor: note } };
    expect(() => validateDashboardState(state)).toThrow(StateValidationError);
  });

  it("rejects a title longer than the label limit", () => {
    const state = makeDashboardState();
    state.widgets.note!.title = "t".repeat(LIMITS.maxLabelLength + 1);
    expect(validationError(state).issues[0]?.path).toBe("/widgets/note/title");
  });

  it("rejects more than maxListItems tasks", () => {
    const state = makeDashboardState();
    const tasks = state.widgets.tasks;
    if (tasks?.type !== "task_list") throw new Error("fixture changed");
    tasks.props.tasks = Array.from({ length: LIMITS.maxListItems + 1 }, (_, i) => ({
      id: `t${i}`,
      title: "t",
      status: "todo" as const,
    }));
    expect(validationError(state).issues[0]?.path).toBe("/widgets/tasks/props/tasks");
  });

  it(`rejects more than ${LIMITS.maxWidgets} widgets`, () => {
    const note = makeWidgets().note;
    const widgets = Object.fromEntries(
      Array.from({ length: LIMITS.maxWidgets + 1 }, (_, i) => [`n${i}`, { ...note, id: `n${i}` }]),
    );
    const error = validationError({ ...defaultDashboardState(), widgets });
    expect(error.issues.map((i) => i.path)).toContain("/widgets");
    const fewer = Object.fromEntries(Object.entries(widgets).slice(0, LIMITS.maxWidgets));
    expect(() => validateDashboardState({ ...defaultDashboardState(), widgets: fewer })).not.toThrow();
  });

  it("escapes issue paths as JSON Pointers", () => {
    const state = makeDashboardState();
    const table = state.widgets.table;
    if (table?.type !== "table") throw new Error("fixture changed");
    // A record key containing "/" must be reported as "~1".
    table.props.rows = [{ "a/b": 1 }];
    expect(
      validationError(state).issues.some((i) => i.path.startsWith("/widgets/table/props/rows/0/a~1b")),
    ).toBe(true);
  });

  it("counts the document cap in UTF-8 bytes, not characters", () => {
    // 3 notes × 40 000 "€" = 120 000 characters but 360 000 UTF-8 bytes > 256 KiB.
    const note = makeWidgets().note;
    const widgets = Object.fromEntries(
      ["a", "b", "c"].map((id) => [id, { ...note, id, props: { markdown: "€".repeat(40_000) } }]),
    );
    const state = { ...defaultDashboardState(), widgets };
    expect(JSON.stringify(state).length).toBeLessThan(LIMITS.maxDocumentBytes);
    expect(jsonByteLength(state)).toBeGreaterThan(LIMITS.maxDocumentBytes);
    const validate = () => validateDashboardState(state);
    expect(validate).toThrow(DocumentTooLargeError);
    expect(validate).toThrow(expect.objectContaining({ code: "payload_too_large", status: 413 }));
  });

  it("limits issues to 20", () => {
    const state = makeDashboardState();
    for (let i = 0; i < 30; i++)
      state.layout.items.push({ widgetId: `ghost${i}`, x: 0, y: 100 + i, w: 1, h: 1 });
    expect(validationError(state).issues).toHaveLength(20);
  });

  it("DashboardStateSchema rejects non-objects", () => {
    for (const value of [null, [], "state", 1])
      expect(DashboardStateSchema.safeParse(value).success).toBe(false);
  });

  // BUG: validateDashboardState (the PUT / load path) never runs assertSafeJson, so free-form
  // `source.args` / `source.input` values may carry nested forbidden keys (and any depth) that the PATCH path
  // rejects. JsonArgsSchema's key refine only covers the first level of args. Contract: forbidden segments
  // are `invalid`; checklist: rejected everywhere.
  it("rejects a nested __proto__ key inside widget source args", () => {
    const state = makeDashboardState();
    const table = state.widgets.table;
    if (table?.type !== "table" || table.source?.kind !== "mcp") throw new Error("fixture changed");
    table.source.args = { filter: JSON.parse('{"__proto__": {"polluted": true}}') };
    expect(() => validateDashboardState(state)).toThrow(StateValidationError);
  });
});
