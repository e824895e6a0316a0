// @ts-check
// Bundled sample data for the demo board agent: one widget of every catalogue type (the alert belongs to
// the approval agent), plus a feed whose first load fails so Retry has something to do. Dates are
// relative to now so the board looks current whenever it starts.

/** @typedef {import("@agentboard/protocol").WidgetInput} WidgetInput */

const DAY = 86_400_000;
/** @param {number} offsetDays */
const day = (offsetDays) => new Date(Date.now() + offsetDays * DAY).toISOString().slice(0, 10);
/** @param {number} minutesAgo */
const ago = (minutesAgo) => new Date(Date.now() - minutesAgo * 60_000).toISOString();

/** @returns {Record<string, WidgetInput>} */
export function boardWidgets() {
  return {
    kpis: {
      type: "metrics",
      title: "This week",
      props: {
        items: [
          { label: "Signups", value: 1284, delta: 8.2, trend: [910, 980, 1010, 1105, 1190, 1230, 1284] },
          {
            label: "p95 latency",
            value: 182,
            unit: "ms",
            delta: -4.1,
            trend: [210, 205, 199, 190, 188, 185, 182],
          },
          { label: "Open incidents", value: 2, delta: 1 },
        ],
      },
    },
    "launch-status": {
      type: "project_status",
      title: "Website relaunch",
      props: {
        name: "Website relaunch",
        status: "at_risk",
        progress: 62,
        due: day(14),
        milestones: [
          { title: "Design sign-off", done: true },
          { title: "Content migration", done: false },
          { title: "Load test", done: false },
        ],
      },
    },
    traffic: {
      type: "chart",
      title: "Requests per hour",
      props: {
        kind: "area",
        series: [
          { name: "api", points: [9, 14, 22, 31, 27, 35, 40, 38, 44, 41, 47, 52].map((y, x) => ({ x, y })) },
          { name: "web", points: [4, 6, 9, 12, 15, 14, 18, 17, 20, 22, 21, 25].map((y, x) => ({ x, y })) },
        ],
      },
    },
    "sprint-tasks": {
      type: "task_list",
      title: "Sprint 42",
      props: {
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
            due: day(2),
          },
          { id: "t3", title: "Write release notes", status: "todo", priority: "normal" },
          { id: "t4", title: "Rotate API keys", status: "done", assignee: "ops-agent" },
        ],
      },
    },
    "agent-activity": {
      type: "activity",
      title: "Agent activity",
      props: {
        entries: [
          { id: "a2", at: ago(1), actor: "research-agent", text: "Summarised 14 customer interviews" },
          { id: "a1", at: ago(12), actor: "ops-agent", text: "Scaled workers from 4 to 6" },
        ],
      },
    },
    "top-accounts": {
      type: "table",
      title: "Top accounts",
      props: {
        columns: [
          { key: "account", label: "Account" },
          { key: "seats", label: "Seats" },
          { key: "active", label: "Active" },
        ],
        rows: [
          { account: "Acme", seats: 120, active: true },
          { account: "Globex", seats: 85, active: true },
          { account: "Initech", seats: 40, active: false },
        ],
      },
    },
    "welcome-note": {
      type: "note",
      title: "Welcome",
      props: {
        markdown: [
          "## Welcome to agentboard",
          "",
          "Demo agents put these widgets here through the SDK and keep some of them current.",
          "",
          "- Drag a widget by its handle (or focus it and use the arrow keys) to rearrange the board.",
          "- **Release feed** failed to load: press *Retry* and its agent fetches it again.",
          "- The deploy agent asks for approval every minute: decide in the [inbox](/inbox).",
        ].join("\n"),
      },
    },
    "release-feed": releaseFeedFailed(),
  };
}

/** The feed as the agent's first (failing) fetch leaves it. */
export function releaseFeedFailed() {
  return /** @type {WidgetInput} */ ({
    type: "activity",
    title: "Release feed",
    status: "error",
    error: {
      message: "The release service timed out (HTTP 504).",
      code: "upstream_timeout",
      retryable: true,
    },
    props: { entries: [] },
  });
}

/** The feed once a fetch works. */
export function releaseFeedLoaded() {
  return /** @type {WidgetInput} */ ({
    type: "activity",
    title: "Release feed",
    props: {
      entries: [
        {
          id: "r3",
          at: ago(35),
          actor: "ci",
          text: "web-frontend 1.8.2 released",
          link: { label: "Changelog", href: "https://example.com/changelog" },
        },
        { id: "r2", at: ago(60 * 26), actor: "ci", text: "api 3.14.0 released" },
        { id: "r1", at: ago(60 * 50), actor: "ci", text: "worker 2.2.1 released" },
      ],
    },
  });
}

/** Where the widgets go on a dashboard that had none of them (12 columns, rows of 44 px). */
export const DEMO_LAYOUT = {
  kpis: { x: 0, y: 0, w: 8, h: 4 },
  "deploy-pipeline": { x: 8, y: 0, w: 4, h: 4 },
  "launch-status": { x: 0, y: 4, w: 4, h: 5 },
  traffic: { x: 4, y: 4, w: 4, h: 5 },
  "release-feed": { x: 8, y: 4, w: 4, h: 5 },
  "sprint-tasks": { x: 0, y: 9, w: 4, h: 5 },
  "agent-activity": { x: 4, y: 9, w: 4, h: 5 },
  "welcome-note": { x: 8, y: 9, w: 4, h: 5 },
  "top-accounts": { x: 0, y: 14, w: 6, h: 4 },
  "service-status": { x: 6, y: 14, w: 6, h: 4 },
};

/**
 * The widget the A2A status agent (status-agent.mjs) backs: bound to it by `source`, so the server fetches
 * its data over A2A on every refresh (Retry), whether or not any agent is connected to agentboard.
 * @param {string} agentId the status agent's id in the agent directory
 * @returns {WidgetInput}
 */
export function serviceStatusWidget(agentId) {
  return {
    type: "metrics",
    title: "Service status",
    status: "loading",
    props: { items: [] },
    source: { kind: "agent", agentId, skill: "service_status" },
  };
}

/** Names the activity widget cycles through. */
export const ACTIVITY_LINES = [
  ["research-agent", "Tagged 32 new support tickets"],
  ["ops-agent", "Renewed the TLS certificate of api.example.com"],
  ["research-agent", "Drafted the weekly summary"],
  ["billing-agent", "Reconciled 118 invoices"],
  ["ops-agent", "Cleared the dead-letter queue (4 messages)"],
];
