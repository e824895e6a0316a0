import { describe, expect, it } from "vitest";
import { makeDashboardState } from "../../../protocol/src/__fixtures__/dashboard";
import { errorMessageOf, INITIAL_VIEW, refreshArguments, withToolInput, withToolResult } from "./widget-view";

const state = makeDashboardState();
const [first, second] = Object.values(state.widgets);
const rendered = (widget = first!) => ({ structuredContent: { rev: 7, widget } });
const read = (rev: number, s = state) => ({ structuredContent: { rev, state: s } });

describe("the MCP Apps view's state", () => {
  it("render_widget: the one widget, and a refresh of the same dashboard keeps showing only it", () => {
    const input = withToolInput(INITIAL_VIEW, { dashboardId: "team", widget: { id: first!.id } });
    expect(refreshArguments(input)).toEqual({ dashboardId: "team" });
    const shown = withToolResult(input, rendered());
    expect(shown).toMatchObject({ phase: "shown", rev: 7, widgetId: first!.id, widgets: [first] });
    const refreshed = withToolResult(shown, read(9));
    expect(refreshed).toMatchObject({
      phase: "shown",
      rev: 9,
      widgets: [state.widgets[first!.id]],
      removed: false,
    });
  });

  it("render_widget then removed elsewhere: says so instead of showing nothing", () => {
    const shown = withToolResult(INITIAL_VIEW, rendered());
    const { [first!.id]: _gone, ...rest } = state.widgets;
    const without = {
      ...state,
      widgets: rest,
      layout: { ...state.layout, items: state.layout.items.filter((item) => item.widgetId !== first!.id) },
    };
    expect(withToolResult(shown, read(10, without))).toMatchObject({ widgets: [], removed: true });
  });

  it("read_dashboard: every placed widget in reading order; dismissed (unplaced) ones are left out", () => {
    const items = [
      { widgetId: second!.id, x: 4, y: 0, w: 4, h: 3 },
      { widgetId: first!.id, x: 0, y: 0, w: 4, h: 3 },
    ];
    const view = withToolResult(
      withToolInput(INITIAL_VIEW, {}),
      read(3, { ...state, layout: { columns: 12, items } }),
    );
    expect(view.widgets.map((widget) => widget.id)).toEqual([first!.id, second!.id]);
    expect(refreshArguments(view)).toEqual({});
  });

  it("errors: the contract's message of an isError result, and anything unknown is an error, not a guess", () => {
    const failed = {
      isError: true,
      content: [{ type: "text", text: JSON.stringify({ error: "forbidden", message: "no access to team" }) }],
    };
    expect(withToolResult(INITIAL_VIEW, failed)).toMatchObject({
      phase: "error",
      error: "no access to team",
    });
    expect(errorMessageOf({ isError: true, content: [{ type: "text", text: "upstream down" }] })).toBe(
      "upstream down",
    );
    expect(
      withToolResult(INITIAL_VIEW, { structuredContent: { rev: 1, widget: { id: "x" } } }),
    ).toMatchObject({
      phase: "error",
    });
  });
});
