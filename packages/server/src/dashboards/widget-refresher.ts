import { WIDGET_PROPS_SCHEMAS, type Widget } from "@agentboard/protocol";
import type { Principal } from "../auth/principal.js";
import { notFound } from "../errors/agentboard-errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { DashboardService, WriteResult } from "./dashboard-service.js";
import type { DashboardKey } from "./dashboard-store.js";
import { refreshTopic } from "./dashboard-topics.js";
import { SourceFailure, type WidgetSourceRunner, type WidgetSources } from "./widget-source-runner.js";

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
  private readonly running = new Set<AbortController>();

  constructor(
    private readonly options: {
      dashboards: DashboardService;
      bus: EventBus;
      timeoutMs: number;
      /** AGENTBOARD_SOURCE_MAX_BYTES: a bound source's data larger than this (JSON bytes) is refused. */
      sourceMaxBytes: number;
      /** Runners of bound sources (remote agents, MCP tools); without one the writer is asked. */
      sources?: WidgetSources;
      log: { warn(details: object, message: string): void };
    },
  ) {
    options.bus.topics.register(refreshTopic);
  }

  async refresh(
    key: DashboardKey,
    widgetId: string,
    requester: string,
    principal?: Principal,
  ): Promise<WriteResult> {
    const { dashboards, bus, timeoutMs } = this.options;
    const widget = (await dashboards.get(key)).state.widgets[widgetId];
    if (!widget) throw notFound(`widget "${widgetId}" does not exist`);
    const runner = principal
      ? await this.options.sources?.runnerFor(widget.source, key.workspaceId)
      : undefined;
    const result = await dashboards.setWidgetStatus(key, widgetId, "loading", undefined, requester);
    if (runner && principal && result) {
      this.runSource(runner, key, widget, principal, result.rev);
      return result;
    }
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

  /**
   * A bound source (contract.md "Widget refresh"): we fetch the data ourselves, whether or not its agent is
   * connected, and write `ready` with the validated props or a retryable `error` saying what went wrong.
   * Both writes apply only while the widget is still the `loading` one this refresh wrote, so a newer
   * write (the agent's own, or a later Retry) wins.
   */
  private runSource(
    runner: WidgetSourceRunner,
    key: DashboardKey,
    widget: Widget,
    principal: Principal,
    rev: number,
  ): void {
    const { dashboards, timeoutMs, sourceMaxBytes } = this.options;
    const source = widget.source!;
    const id = keyOf(key, widget.id);
    const stillOurs = (current: Widget) =>
      current.status === "loading" && current.updatedAt === widget.updatedAt;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new SourceFailure("timeout", "timed out")), timeoutMs);
    timer.unref();
    clearTimeout(this.timers.get(id));
    this.timers.set(id, timer);
    this.running.add(controller);
    const label =
      source.kind === "agent" ? `agent ${source.agentId}` : `MCP tool ${source.server}/${source.tool}`;
    void (async () => {
      try {
        const data = await runner.run({
          workspaceId: key.workspaceId,
          principal,
          source,
          signal: controller.signal,
          maxBytes: sourceMaxBytes,
        });
        const size = Buffer.byteLength(JSON.stringify(data) ?? "");
        if (size > sourceMaxBytes) {
          throw new SourceFailure(
            "too_large",
            `the data is ${size} bytes, over the ${sourceMaxBytes}-byte limit (AGENTBOARD_SOURCE_MAX_BYTES)`,
          );
        }
        const parsed = WIDGET_PROPS_SCHEMAS[widget.type].safeParse(data);
        if (!parsed.success) {
          throw new SourceFailure(
            "invalid_data",
            `the data is not valid ${widget.type} props: ${parsed.error.issues[0]?.message ?? "invalid"}`,
          );
        }
        await dashboards.setWidgetData(key, widget.id, parsed.data, "system:refresh", stillOurs);
      } catch (caught) {
        const failure =
          controller.signal.aborted &&
          !(
            caught instanceof SourceFailure &&
            (caught.reason === "invalid_data" || caught.reason === "too_large")
          )
            ? new SourceFailure("timeout", `no answer within ${Math.round(timeoutMs / 1000)} s`)
            : caught instanceof SourceFailure
              ? caught
              : new SourceFailure("unreachable", caught instanceof Error ? caught.message : String(caught));
        const message = `${label}: ${failure.reason.replace("_", " ")}: ${failure.message}`.slice(0, 500);
        await dashboards.setWidgetStatus(
          key,
          widget.id,
          "error",
          { message, code: `source_${failure.reason}`, retryable: true },
          "system:refresh",
          stillOurs,
        );
      } finally {
        clearTimeout(timer);
        this.running.delete(controller);
        if (this.timers.get(id) === timer) this.timers.delete(id);
      }
    })().catch((error: unknown) =>
      this.options.log.warn({ err: error, widgetId: widget.id, rev }, "refresh source write failed"),
    );
  }

  /** Pending refresh timers (leak checks). */
  get pending(): number {
    return this.timers.size;
  }

  close(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.running)
      controller.abort(new SourceFailure("unreachable", "shutting down"));
  }
}
