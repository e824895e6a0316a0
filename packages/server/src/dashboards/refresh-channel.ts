import type { EventBus } from "../events/event-bus.js";
import type { RealtimeChannel } from "../realtime/realtime-channel.js";
import type { DashboardChannel } from "./dashboard-channel.js";
import type { RefreshRequestEvent } from "./dashboard-topics.js";

/**
 * Widget refresh requests (`POST …/widgets/:widgetId/refresh`, widget-refresher.ts) to the principal that
 * wrote the widget: `refresh {dashboardId, widgetId}` on each of its connections following the dashboard on
 * this node. It answers no client frames; its audience is the dashboard channel's.
 */
export class RefreshChannel implements RealtimeChannel<never> {
  readonly name = "refresh";
  readonly messages = {};
  private readonly unsubscribeBus: () => void;

  constructor(
    bus: EventBus,
    private readonly dashboards: Pick<DashboardChannel, "followers">,
  ) {
    this.unsubscribeBus = bus.subscribe("refresh", (event) => this.onRefreshRequest(event));
  }

  handle(): void {}

  close(): void {
    this.unsubscribeBus();
  }

  private onRefreshRequest(event: RefreshRequestEvent): void {
    for (const [peer, subscription] of this.dashboards.followers(event.key)) {
      if (peer.principalRef !== event.principal) continue;
      peer.connection.send({ type: "refresh", dashboardId: subscription.alias, widgetId: event.widgetId });
    }
  }
}
