import type { Widget } from "@agentboard/protocol";
import { type ReactNode, useId } from "react";
import { isWidgetEmpty, WidgetContent, WidgetSkeleton } from "../widgets/registry";
import { StaleBanner, WidgetEmpty, WidgetError } from "./WidgetStates";

interface WidgetCardProps {
  widget: Widget;
  /** What Retry (error) and Refresh (stale) do. */
  onRefresh(): Promise<void>;
  /** Before the title (the grid's move handle). */
  start?: ReactNode;
  /** After the status tag (the grid's dismiss button). */
  end?: ReactNode;
}

const STATUS_LABEL = {
  loading: "Loading",
  ready: "Ready",
  empty: "Empty",
  error: "Error",
  stale: "Stale",
} as const;

/**
 * One widget as every agentboard surface draws it (the web app's grid, the MCP Apps view): header, then the
 * body for its status, with the `data-widget-*` hooks on its root. It only renders what it is given.
 */
export function WidgetCard({ widget, onRefresh, start, end }: WidgetCardProps) {
  const titleId = useId();
  const status = widget.status;
  let body: ReactNode;
  if (status === "loading") body = <WidgetSkeleton type={widget.type} />;
  else if (status === "error") body = <WidgetError error={widget.error} onRetry={onRefresh} />;
  else if (status === "empty" || isWidgetEmpty(widget)) body = <WidgetEmpty />;
  else body = <WidgetContent widget={widget} />;
  return (
    <section
      className={`widget widget--${status}`}
      aria-labelledby={titleId}
      aria-busy={status === "loading"}
      data-widget-id={widget.id}
      data-widget-type={widget.type}
      data-widget-status={status}
    >
      <header className="widget__header">
        {start}
        <h2 className="widget__title" id={titleId}>
          {widget.title}
        </h2>
        {status !== "ready" ? (
          <span className={`status-tag status-tag--${status}`}>{STATUS_LABEL[status]}</span>
        ) : null}
        {end}
      </header>
      {status === "stale" ? <StaleBanner onRefresh={onRefresh} /> : null}
      <div className="widget__body">{body}</div>
    </section>
  );
}
