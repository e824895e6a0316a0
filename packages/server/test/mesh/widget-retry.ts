import type { Caller } from "@agentboard/test-support";
import { expect } from "vitest";

/** Presses Retry on one of the caller's widgets, then waits (deadline 10 s) until it leaves `loading`. */
export async function retryWidget(caller: Caller, widgetId: string): Promise<any> {
  const refresh = await caller.request("POST", `/api/dashboards/me/widgets/${widgetId}/refresh`);
  expect(refresh.status).toBe(202);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const widget = (await caller.request("GET", "/api/dashboards/me/state")).body.state.widgets[widgetId];
    if (widget.status !== "loading") return widget;
    if (Date.now() > deadline) throw new Error(`${widgetId} still loading`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Registers the remote agent at `cardUrl` and puts a metrics widget bound to its `metrics` skill. */
export async function bindMetricsWidget(
  caller: Caller,
  widgetId: string,
  cardUrl: string,
  input?: Record<string, unknown>,
): Promise<{ agentId: string }> {
  const registered = await caller.request("POST", "/api/agents", { cardUrl });
  expect(registered.status).toBe(201);
  const put = await caller.request("PUT", `/api/dashboards/me/widgets/${widgetId}`, {
    type: "metrics",
    title: widgetId,
    props: { items: [] },
    source: { kind: "agent", agentId: registered.body.id, skill: "metrics", ...(input ? { input } : {}) },
  });
  expect(put.status).toBeLessThan(300);
  return { agentId: registered.body.id };
}
