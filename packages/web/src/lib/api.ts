import { type BoardClient, createBoardClient } from "@agentboard/client";

/**
 * The one SDK client of the app. No token: the browser authenticates with the httpOnly session cookie, and
 * same-origin fetches carry the Origin header the server checks on cookie-authenticated writes.
 */
export const board: BoardClient = createBoardClient({ url: window.location.origin });

export const dashboardPath = (dashboardId: string) => `/api/dashboards/${encodeURIComponent(dashboardId)}`;

/** Asks the widget's data source (or the agent that wrote it) to republish it (contract.md "Widget refresh"). */
export async function refreshWidget(dashboardId: string, widgetId: string): Promise<void> {
  await board.request(
    "POST",
    `${dashboardPath(dashboardId)}/widgets/${encodeURIComponent(widgetId)}/refresh`,
  );
}
