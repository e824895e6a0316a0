import type { MouseEvent } from "react";
import { type StoreApi, useStore } from "zustand";
import { WidgetCard } from "../dashboard/WidgetCard";
import { RetryButton } from "../dashboard/WidgetStates";
import type { WidgetView } from "./widget-view";

interface WidgetAppProps {
  view: StoreApi<WidgetView>;
  /** Calls `read_dashboard` through the host and shows its answer; rejects with what went wrong. */
  refresh(): Promise<void>;
  /** Asks the host to open a link (the sandboxed view cannot open windows itself). */
  openLink(url: string): void;
}

/** The MCP Apps view: a bar with the rev and Refresh, then the widgets as the web app draws them. */
export function WidgetApp({ view, refresh, openLink }: WidgetAppProps) {
  const { phase, rev, widgets, removed, error } = useStore(view);
  const followLink = (event: MouseEvent) => {
    const anchor = (event.target as Element).closest?.("a[href]");
    const href = anchor?.getAttribute("href");
    if (!href || !/^https?:/i.test(href)) return;
    event.preventDefault();
    openLink(href);
  };
  return (
    // Clicks of the links inside (Enter on a focused link is a click too) go to the host.
    <main className="mcp-app" data-mcp-app-phase={phase} data-rev={rev} onClickCapture={followLink}>
      <header className="mcp-app__bar">
        <span className="mcp-app__brand">agentboard</span>
        {rev !== undefined ? <span className="mcp-app__rev">rev {rev}</span> : null}
        {phase !== "waiting" ? <RetryButton onRetry={refresh} label="Refresh" /> : null}
      </header>
      {phase === "waiting" ? <p className="mcp-app__note">Waiting for the tool result…</p> : null}
      {phase === "error" ? (
        <p className="mcp-app__note mcp-app__note--error" role="alert">
          {error}
        </p>
      ) : null}
      {removed ? <p className="mcp-app__note">This widget is no longer on the dashboard.</p> : null}
      {phase === "shown" && widgets.length === 0 && !removed ? (
        <p className="mcp-app__note">The dashboard has no widgets.</p>
      ) : null}
      <div className="mcp-app__widgets">
        {widgets.map((widget) => (
          <WidgetCard key={widget.id} widget={widget} onRefresh={refresh} />
        ))}
      </div>
    </main>
  );
}
