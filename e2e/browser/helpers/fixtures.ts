import type { DashboardState, Widget, WidgetStatus, WidgetType } from "@agentboard/protocol";

/** The clock the visual test pins the page to; fixture dates are relative to it. */
export const FIXED_NOW = Date.parse("2025-03-14T12:00:00.000Z");
const minutesAgo = (m: number) => new Date(FIXED_NOW - m * 60_000).toISOString();

export const VISUAL_STATUSES: readonly WidgetStatus[] = ["ready", "loading", "empty", "error", "stale"];

/** Deterministic props of every catalogue type. */
export const FIXTURE_PROPS: { [K in WidgetType]: Extract<Widget, { type: K }>["props"] } = {
  project_status: {
    name: "Website relaunch",
    status: "at_risk",
    progress: 62,
    due: "2025-03-28",
    milestones: [
      { title: "Design sign-off", done: true },
      { title: "Content migration", done: false },
    ],
  },
  task_list: {
    tasks: [
      {
        id: "t1",
        title: "Migrate blog posts",
        status: "in_progress",
        assignee: "research-agent",
        priority: "high",
      },
      {
        id: "t2",
        title: "Fix checkout redirect",
        status: "blocked",
        assignee: "Dana",
        priority: "urgent",
        due: "2025-03-16",
      },
      { id: "t3", title: "Write release notes", status: "todo" },
      { id: "t4", title: "Rotate API keys", status: "done", assignee: "ops-agent" },
    ],
  },
  metrics: {
    items: [
      { label: "Signups", value: 1284, delta: 8.2, trend: [910, 980, 1010, 1105, 1190, 1230, 1284] },
      {
        label: "p95 latency",
        value: 182,
        unit: "ms",
        delta: -4.1,
        trend: [210, 205, 199, 190, 188, 185, 182],
      },
    ],
  },
  alert: {
    severity: "warning",
    message: "Staging deploy is waiting for a database migration approval.",
    link: { label: "Runbook", href: "https://example.com/runbooks/migrations" },
  },
  activity: {
    entries: [
      { id: "a2", at: minutesAgo(3), actor: "research-agent", text: "Summarised 14 customer interviews" },
      { id: "a1", at: minutesAgo(95), actor: "ops-agent", text: "Scaled workers from 4 to 6" },
    ],
  },
  chart: {
    kind: "line",
    series: [
      { name: "api", points: [9, 14, 22, 31, 27, 35, 40].map((y, x) => ({ x, y })) },
      { name: "web", points: [4, 6, 9, 12, 15, 14, 18].map((y, x) => ({ x, y })) },
    ],
  },
  table: {
    columns: [
      { key: "account", label: "Account" },
      { key: "seats", label: "Seats" },
      { key: "active", label: "Active" },
    ],
    rows: [
      { account: "Acme", seats: 120, active: true },
      { account: "Globex", seats: 85, active: null },
    ],
  },
  note: {
    markdown:
      "## Release plan\n\n1. Freeze on **Friday**\n2. Ship on Monday\n\nSee the [runbook](https://example.com/runbook).",
  },
};

export const WIDGET_TYPES_IN_ORDER = Object.keys(FIXTURE_PROPS) as WidgetType[];

export const visualId = (type: WidgetType, status: WidgetStatus) => `${type}--${status}`;

/** One widget per (type, status), three per row, each 4 columns × 5 rows. */
export function visualFixtureState(): DashboardState {
  const widgets: Record<string, Widget> = {};
  const items: DashboardState["layout"]["items"] = [];
  let index = 0;
  for (const type of WIDGET_TYPES_IN_ORDER) {
    for (const status of VISUAL_STATUSES) {
      const id = visualId(type, status);
      widgets[id] = {
        id,
        type,
        title: `${type.replace("_", " ")} · ${status}`,
        props: FIXTURE_PROPS[type],
        status,
        ...(status === "error"
          ? {
              error: {
                message: "The source timed out (HTTP 504).",
                code: "upstream_timeout",
                retryable: true,
              },
            }
          : {}),
        updatedAt: "2025-03-14T11:58:00.000Z",
        updatedBy: "agent:fixtures",
      } as Widget;
      items.push({ widgetId: id, x: (index % 3) * 4, y: Math.floor(index / 3) * 5, w: 4, h: 5 });
      index++;
    }
  }
  return { schemaVersion: 1, layout: { columns: 12, items }, widgets, preferences: {} };
}

/** Three small widgets for the sync tests. */
export function syncFixtureState(): DashboardState {
  const widget = (id: string, title: string, message: string): Widget => ({
    id,
    type: "alert",
    title,
    props: { severity: "info", message },
    status: "ready",
    updatedAt: "2025-03-14T11:58:00.000Z",
    updatedBy: "agent:fixtures",
  });
  return {
    schemaVersion: 1,
    layout: {
      columns: 12,
      items: [
        { widgetId: "alpha", x: 0, y: 0, w: 4, h: 3 },
        { widgetId: "beta", x: 4, y: 0, w: 4, h: 3 },
        { widgetId: "gamma", x: 8, y: 0, w: 4, h: 3 },
      ],
    },
    widgets: {
      alpha: widget("alpha", "Alpha", "First widget"),
      beta: widget("beta", "Beta", "Second widget"),
      gamma: widget("gamma", "Gamma", "Third widget"),
    },
    preferences: {},
  };
}
