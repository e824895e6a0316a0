import {
  type DashboardState,
  McpReadDashboardOutputSchema,
  McpRenderWidgetOutputSchema,
  type Widget,
} from "@agentboard/protocol";

/**
 * What the MCP Apps view shows. It knows only what the host hands it (the tool's arguments and result)
 * and what `read_dashboard` answers through the host: it has no network of its own.
 */
export interface WidgetView {
  phase: "waiting" | "shown" | "error";
  /** The `dashboardId` the tool was called with; absent means the server's default (`me` for users). */
  dashboardId?: string;
  /** render_widget: the one widget it drew. read_dashboard: absent, every placed widget is shown. */
  widgetId?: string;
  rev?: number;
  widgets: Widget[];
  /** render_widget's widget is no longer on the dashboard (seen on a refresh). */
  removed: boolean;
  error?: string;
}

/** The minimal shape of an MCP `CallToolResult` this view reads. */
export interface ToolResultLike {
  isError?: boolean;
  structuredContent?: unknown;
  content?: unknown[];
}

export const INITIAL_VIEW: WidgetView = { phase: "waiting", widgets: [], removed: false };

/** `ui/notifications/tool-input`: remembers which dashboard (and widget) the result will be about. */
export function withToolInput(view: WidgetView, args: Record<string, unknown> | undefined): WidgetView {
  const dashboardId = typeof args?.dashboardId === "string" ? args.dashboardId : undefined;
  const widget = args?.widget as { id?: unknown } | undefined;
  const widgetId = typeof widget?.id === "string" ? widget.id : undefined;
  return { ...view, dashboardId, widgetId };
}

/**
 * A result of `render_widget` (`{rev, widget}`) or `read_dashboard` (`{rev, state}`), from the host's
 * tool-result notification or from a refresh. Anything else is shown as an error, never guessed at.
 */
export function withToolResult(view: WidgetView, result: ToolResultLike): WidgetView {
  if (result.isError) return { ...view, phase: "error", error: errorMessageOf(result) };
  const rendered = McpRenderWidgetOutputSchema.safeParse(result.structuredContent);
  if (rendered.success) {
    const { rev, widget } = rendered.data;
    return {
      ...view,
      phase: "shown",
      rev,
      widgetId: widget.id,
      widgets: [widget],
      removed: false,
      error: undefined,
    };
  }
  const read = McpReadDashboardOutputSchema.safeParse(result.structuredContent);
  if (read.success) {
    const { rev, state } = read.data;
    const widgets = view.widgetId ? single(state, view.widgetId) : placedWidgets(state);
    const removed = view.widgetId !== undefined && widgets.length === 0;
    return { ...view, phase: "shown", rev, widgets, removed, error: undefined };
  }
  return {
    ...view,
    phase: "error",
    error: "The tool result is not a render_widget or read_dashboard result.",
  };
}

/** The arguments of the `read_dashboard` call that refreshes this view. */
export function refreshArguments(view: WidgetView): Record<string, unknown> {
  return view.dashboardId === undefined ? {} : { dashboardId: view.dashboardId };
}

function single(state: DashboardState, widgetId: string): Widget[] {
  const widget = state.widgets[widgetId];
  return widget ? [widget] : [];
}

/** The widgets on the grid in reading order (top to bottom, then left to right); dismissed ones are not. */
function placedWidgets(state: DashboardState): Widget[] {
  return [...state.layout.items]
    .sort((a, b) => a.y - b.y || a.x - b.x)
    .flatMap((item) => single(state, item.widgetId));
}

/** The contract's error body `{error, message}` that an `isError` result carries as text, or its text. */
export function errorMessageOf(result: ToolResultLike): string {
  const text = (result.content ?? [])
    .map((part) => (part as { type?: string; text?: string }).text ?? "")
    .join("\n")
    .trim();
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body.message === "string") return body.message;
  } catch {
    // Not the contract's JSON body: the text itself is the message.
  }
  return text || "The tool call failed.";
}
