import { notFound } from "../errors/agentboard-errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { DashboardService, WriteResult } from "./dashboard-service.js";
import type { DashboardKey } from "./dashboard-store.js";
import { refreshTopic } from "./dashboard-topics.js";

const keyOf = (key: DashboardKey, widgetId: string) =>
  `${key.workspaceId}\u0000${key.dashboardId}\u0000${widgetId}`;

/**
 * The Retry button (contract.md "Widget refresh"): mark the widget `loading` (a normal write everyone sees),
 * ask the principal that wrote it to republish (a `refresh` frame to its subscribed connections), and turn
 * silence into a retryable error after the timeout. The timeout write is conditional — only if the widget is
 * still `loading` and nobody republished it — so a late answer and the timer cannot fight.
 */
export class WidgetRefresher {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly options: {
      dashboards: DashboardService;
      bus: EventBus;
      timeoutMs: number;
      log: { warn(details: object, message: string): void };
    },
  ) {
    options.bus.topics.register(refreshTopic);
  }

  async refresh(key: DashboardKey, widgetId: string, requester: string): Promise<WriteResult> {
    const { dashboards, bus, timeoutMs } = this.options;
    const widget = (await dashboards.get(key)).state.widgets[widgetId];
    if (!widget) throw notFound(`widget "${widgetId}" does not exist`);
    const result = await dashboards.setWidgetStatus(key, widgetId, "loading", undefined, requester);
    bus.publish("refresh", { key, widgetId, principal: widget.updatedBy });

    const id = keyOf(key, widgetId);
    clearTimeout(this.timers.get(id));
    const timer = setTimeout(() => {
      this.timers.delete(id);
      dashboards
        .setWidgetStatus(
          key,
          widgetId,
          "error",
          {
            message: `no answer from ${widget.updatedBy} within ${Math.round(timeoutMs / 1000)} s`,
            code: "refresh_timeout",
            retryable: true,
          },
          "system:refresh",
          (current) => current.status === "loading" && current.updatedAt === widget.updatedAt,
        )
        .catch((error: unknown) =>
          this.options.log.warn({ err: error, widgetId }, "refresh timeout write failed"),
        );
    }, timeoutMs);
    timer.unref();
    this.timers.set(id, timer);
    return result ?? { rev: 0 };
  }

  /** Pending refresh timers (leak checks). */
  get pending(): number {
    return this.timers.size;
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
