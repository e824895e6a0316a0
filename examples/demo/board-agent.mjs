#!/usr/bin/env node
// @ts-check
// Demo board agent: fills a dashboard with one widget of every type from bundled sample data, keeps some
// of them current every few seconds through the live replica (`board.sync`, the same write path as the web
// app), and answers Retry: the server sends `refresh` for a widget this agent wrote, and it republishes it.
// The "Release feed" widget starts failed and loads on the first Retry. With AGENTBOARD_DEMO_STATUS_AGENT_ID
// (set by `agentboard start --demo`) it also places "Service status", bound to the A2A status agent, and
// asks the server to load it: the server calls that agent, not this one.
//
//   AGENTBOARD_URL=http://127.0.0.1:7800 AGENTBOARD_TOKEN=ab_… AGENTBOARD_DASHBOARD=user:usr_… \
//     node examples/demo/board-agent.mjs
import { createBoardClient } from "@agentboard/client";
import { exitWith, log, messageOf, numberEnv, requireEnv, signalReady, sleep } from "./agent-support.mjs";
import {
  ACTIVITY_LINES,
  boardWidgets,
  DEMO_LAYOUT,
  releaseFeedLoaded,
  serviceStatusWidget,
} from "./sample-data.mjs";

const url = requireEnv("AGENTBOARD_URL");
const token = requireEnv("AGENTBOARD_TOKEN");
const dashboard = requireEnv("AGENTBOARD_DASHBOARD");
const tickMs = numberEnv("AGENTBOARD_DEMO_TICK_MS", 4000);
const refreshDelayMs = numberEnv("AGENTBOARD_DEMO_REFRESH_DELAY_MS", 700);
const statusAgentId = process.env.AGENTBOARD_DEMO_STATUS_AGENT_ID;

const board = createBoardClient({ url, token });
const widgets = boardWidgets();
if (statusAgentId) widgets["service-status"] = serviceStatusWidget(statusAgentId);

/** Publishes every sample widget; on a dashboard that had none of them, arranges them in a grid. */
async function fill() {
  const before = await board.dashboards.get(dashboard);
  const fresh = Object.keys(widgets).every((id) => !Object.hasOwn(before.state.widgets, id));
  for (const [id, widget] of Object.entries(widgets)) {
    await board.dashboards.upsertWidget(dashboard, id, widget);
  }
  if (fresh) {
    const { state, rev } = await board.dashboards.get(dashboard);
    const mine = new Set(Object.keys(DEMO_LAYOUT));
    const others = state.layout.items.filter((item) => !mine.has(item.widgetId));
    // Widgets that were there before ours move below the demo grid; nothing is dropped.
    const items = [
      ...state.layout.items
        .filter((item) => mine.has(item.widgetId))
        .map((item) => ({
          widgetId: item.widgetId,
          ...DEMO_LAYOUT[/** @type {keyof typeof DEMO_LAYOUT} */ (item.widgetId)],
        })),
      ...others.map((item) => ({ ...item, y: item.y + 18 })),
    ];
    await board.dashboards.patch(dashboard, rev, [{ op: "replace", path: "/layout/items", value: items }]);
  }
  log(
    `board-agent: published ${Object.keys(widgets).length} widgets on ${dashboard}${fresh ? " and arranged them" : ""}`,
  );
  if (statusAgentId) {
    // The same request as Retry: the server runs the widget's source (A2A SendMessage to the status agent).
    const path = `/api/dashboards/${encodeURIComponent(dashboard)}/widgets/service-status/refresh`;
    await board.request("POST", path);
    log(`board-agent: asked the server to load "Service status" from A2A agent ${statusAgentId}`);
  }
}

const sync = board.sync(dashboard);
let tick = 0;
let releaseFeedLoads = 0;

/** One JSON Patch through the replica; a widget removed meanwhile is simply skipped. */
function apply(/** @type {import("@agentboard/protocol").JsonPatchOp[]} */ ops, /** @type {string} */ what) {
  try {
    sync.apply(ops);
  } catch (error) {
    log(`board-agent: skipped ${what}: ${messageOf(error)}`);
  }
}

/** Moves the live widgets on: new metric values, a new chart point, now and then an activity entry. */
function update() {
  const state = sync.state;
  if (!state) return;
  tick++;
  const now = new Date().toISOString();
  const kpis = state.widgets.kpis;
  if (kpis?.type === "metrics") {
    const items = kpis.props.items.map((item) => {
      if (!item.trend) return item;
      const step = Math.round((Math.random() - (item.unit === "ms" ? 0.55 : 0.4)) * 8);
      const value = Math.max(0, item.value + step);
      const trend = [...item.trend.slice(-11), value];
      const first = trend[0] ?? value;
      return { ...item, value, trend, delta: Math.round(((value - first) / (first || 1)) * 1000) / 10 };
    });
    apply(
      [
        { op: "replace", path: "/widgets/kpis/props/items", value: items },
        { op: "replace", path: "/widgets/kpis/updatedAt", value: now },
      ],
      "the metrics update",
    );
  }
  const traffic = state.widgets.traffic;
  if (traffic?.type === "chart") {
    const series = traffic.props.series.map((s) => {
      const last = s.points.at(-1);
      const x = typeof last?.x === "number" ? last.x + 1 : s.points.length;
      const y = Math.max(0, Math.round((last?.y ?? 10) + (Math.random() - 0.45) * 8));
      return { ...s, points: [...s.points.slice(-11), { x, y }] };
    });
    apply([{ op: "replace", path: "/widgets/traffic/props/series", value: series }], "the chart update");
  }
  const activity = state.widgets["agent-activity"];
  if (activity?.type === "activity" && tick % 3 === 0) {
    const [actor, text] = ACTIVITY_LINES[(tick / 3) % ACTIVITY_LINES.length] ?? ["agent", "Did something"];
    const entry = { id: `e${Date.now()}`, at: now, actor, text };
    apply(
      [
        {
          op: "replace",
          path: "/widgets/agent-activity/props/entries",
          value: [entry, ...activity.props.entries].slice(0, 6),
        },
      ],
      "the activity entry",
    );
  }
}

/** Retry on a widget this agent wrote: fetch it again (here: from the sample data) and republish it. */
async function onRefresh(/** @type {string} */ widgetId) {
  log(`board-agent: refresh requested for ${widgetId}`);
  await sleep(refreshDelayMs);
  try {
    if (widgetId === "release-feed") {
      releaseFeedLoads++;
      await board.dashboards.upsertWidget(dashboard, widgetId, releaseFeedLoaded());
      log(`board-agent: release feed loaded (attempt ${releaseFeedLoads + 1})`);
      return;
    }
    const current = sync.state?.widgets[widgetId];
    const sample = widgets[widgetId];
    if (!current || !sample) return;
    const { id: _id, updatedAt: _at, updatedBy: _by, error: _error, status: _status, ...rest } = current;
    await board.dashboards.upsertWidget(
      dashboard,
      widgetId,
      /** @type {import("@agentboard/protocol").WidgetInput} */ (rest),
    );
    log(`board-agent: republished ${widgetId}`);
  } catch (error) {
    log(`board-agent: refreshing ${widgetId} failed: ${messageOf(error)}`);
  }
}

try {
  await fill();
  sync.on("refresh", (widgetId) => void onRefresh(widgetId));
  await sync.ready({ timeoutMs: 15_000 });
} catch (error) {
  log(`board-agent: could not start: ${messageOf(error)}`);
  process.exit(1);
}
const timer = setInterval(update, tickMs);
exitWith(async () => {
  clearInterval(timer);
  await sync.close();
});
log(`board-agent: live; updating every ${tickMs / 1000} s and answering Retry`);
signalReady();
