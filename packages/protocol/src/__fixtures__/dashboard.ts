// Test-only fixtures: one valid widget of each catalogue type and a valid state holding all of them.
// Not exported by index.ts. Every call returns fresh objects, so a test may freeze or mutate what it gets.
import type { DashboardState } from "../dashboard/dashboard-state.js";
import type { Widget } from "../dashboard/widget.js";
import type { WidgetType } from "../dashboard/widget-props.js";

const updatedAt = "2024-05-01T12:00:00.000Z";
const updatedBy = "agent:planner";

export function makeWidgets(): { [K in WidgetType]: Extract<Widget, { type: K }> } {
  return {
    project_status: {
      id: "project",
      type: "project_status",
      title: "Launch",
      status: "ready",
      updatedAt,
      updatedBy,
      props: {
        name: "Launch v2",
        status: "at_risk",
        progress: 40,
        due: "2024-06-30",
        milestones: [
          { title: "Beta", done: true },
          { title: "GA", done: false },
        ],
      },
    },
    task_list: {
      id: "tasks",
      type: "task_list",
      title: "Tasks",
      status: "ready",
      updatedAt,
      updatedBy,
      props: {
        tasks: [
          { id: "t1", title: "Write docs", status: "todo", assignee: "ana", priority: "high" },
          { id: "t2", title: "Ship", status: "in_progress", due: "2024-06-01T00:00:00Z" },
        ],
      },
    },
    metrics: {
      id: "metrics",
      type: "metrics",
      title: "Metrics",
      status: "ready",
      updatedAt,
      updatedBy,
      props: {
        items: [
          { label: "Users", value: 1200, unit: "count", delta: 12.5, trend: [1, 2, 3] },
          { label: "Errors", value: 3 },
        ],
      },
    },
    alert: {
      id: "alert",
      type: "alert",
      title: "Alert",
      status: "ready",
      updatedAt,
      updatedBy,
      props: {
        severity: "warning",
        message: "Disk almost full",
        link: { label: "Details", href: "/ops/disk" },
      },
    },
    activity: {
      id: "activity",
      type: "activity",
      title: "Activity",
      status: "ready",
      updatedAt,
      updatedBy,
      source: { kind: "agent", agentId: "watcher", skill: "summarise", input: { since: "1d" } },
      props: {
        entries: [
          {
            id: "e1",
            at: "2024-05-01T11:00:00+02:00",
            actor: "bot",
            text: "Deployed",
            link: { label: "Run", href: "https://ci.example.com/run/1" },
          },
        ],
      },
    },
    chart: {
      id: "chart",
      type: "chart",
      title: "Chart",
      status: "stale",
      updatedAt,
      updatedBy,
      props: {
        kind: "line",
        series: [
          {
            name: "latency",
            points: [
              { x: 1, y: 10 },
              { x: "2024-05-02", y: 12 },
            ],
          },
        ],
      },
    },
    table: {
      id: "table",
      type: "table",
      title: "Table",
      status: "error",
      error: { message: "upstream timeout", code: "timeout", retryable: true },
      source: { kind: "mcp", server: "github", tool: "list_prs", args: { repo: "a/b" } },
      updatedAt,
      updatedBy,
      props: {
        columns: [
          { key: "name", label: "Name" },
          { key: "count", label: "Count" },
        ],
        rows: [
          { name: "a", count: 1 },
          { name: null, count: true },
        ],
      },
    },
    note: {
      id: "note",
      type: "note",
      title: "Note",
      status: "ready",
      updatedAt,
      updatedBy,
      props: { markdown: "# Hello\n\nSome *text*." },
    },
  };
}

/** A valid v1 state with every catalogue widget, each with a layout item. */
export function makeDashboardState(): DashboardState {
  const widgets = makeWidgets();
  const list = Object.values(widgets);
  return {
    schemaVersion: 1,
    layout: {
      columns: 12,
      items: list.map((w, i) => ({ widgetId: w.id, x: (i % 3) * 4, y: Math.floor(i / 3) * 3, w: 4, h: 3 })),
    },
    widgets: Object.fromEntries(list.map((w) => [w.id, w])),
    preferences: { theme: "dark", density: "compact" },
  };
}

/** Freezes a value and everything reachable from it, so any mutation attempt throws in strict mode. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}
