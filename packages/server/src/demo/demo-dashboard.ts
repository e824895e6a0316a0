import type { WidgetInput } from "@agentboard/protocol";
import type { Principal } from "../auth/principal.js";
import type { DashboardService } from "../dashboards/dashboard-service.js";

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** Sample widgets of every catalogue type, so `npm start` shows something real on the first visit. */
export function demoWidgets(): Record<string, WidgetInput> {
  return {
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
    "deploy-alert": {
      type: "alert",
      title: "Deploy",
      props: {
        severity: "warning",
        message: "Staging deploy is waiting for a database migration approval.",
        link: { label: "Runbook", href: "https://example.com/runbooks/migrations" },
      },
    },
    "agent-activity": {
      type: "activity",
      title: "Agent activity",
      props: {
        entries: [
          {
            id: "a1",
            at: new Date().toISOString(),
            actor: "research-agent",
            text: "Summarised 14 customer interviews",
          },
          {
            id: "a2",
            at: new Date(Date.now() - 600_000).toISOString(),
            actor: "ops-agent",
            text: "Scaled workers from 4 to 6",
          },
        ],
      },
    },
    traffic: {
      type: "chart",
      title: "Requests per hour",
      props: {
        kind: "line",
        series: [
          { name: "api", points: [9, 14, 22, 31, 27, 35, 40].map((y, x) => ({ x, y })) },
          { name: "web", points: [4, 6, 9, 12, 15, 14, 18].map((y, x) => ({ x, y })) },
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
        markdown:
          "## Welcome to agentboard\n\nAgents put these widgets here through the REST API, the SDK or MCP tools.\nSee `docs/` for the API.",
      },
    },
  };
}

export async function seedDemoDashboard(dashboards: DashboardService, owner: Principal): Promise<void> {
  const key = { workspaceId: owner.workspaceId, dashboardId: `user:${owner.id}` };
  for (const [widgetId, widget] of Object.entries(demoWidgets())) {
    await dashboards.upsertWidget(key, widgetId, widget, "agent:demo");
  }
}
