import { memo, type ReactNode, useEffect, useId } from "react";
import { isWidgetEmpty, WidgetContent, WidgetSkeleton } from "../widgets/registry";
import { useDashboardActions } from "./dashboard-actions";
import { useWidget } from "./dashboard-store";
import { countWidgetRender } from "./render-counts";
import { StaleBanner, WidgetEmpty, WidgetError } from "./WidgetStates";

interface WidgetFrameProps {
  widgetId: string;
  editable: boolean;
  /** The move/resize handle, owned by the grid item. */
  handle?: ReactNode;
}

const STATUS_LABEL = {
  loading: "Loading",
  ready: "Ready",
  empty: "Empty",
  error: "Error",
  stale: "Stale",
} as const;

/**
 * One widget: header, then the body for its status. Subscribes to its own widget only, so an update of
 * another widget never renders this one.
 */
export const WidgetFrame = memo(function WidgetFrame({ widgetId, editable, handle }: WidgetFrameProps) {
  const widget = useWidget(widgetId);
  const actions = useDashboardActions();
  const titleId = useId();
  useEffect(() => countWidgetRender(widgetId));
  if (!widget) return null;
  const refresh = () => actions.refresh(widgetId);
  const status = widget.status;
  let body: ReactNode;
  if (status === "loading") body = <WidgetSkeleton type={widget.type} />;
  else if (status === "error") body = <WidgetError error={widget.error} onRetry={refresh} />;
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
        {handle}
        <h2 className="widget__title" id={titleId}>
          {widget.title}
        </h2>
        {status !== "ready" ? (
          <span className={`status-tag status-tag--${status}`}>{STATUS_LABEL[status]}</span>
        ) : null}
        {editable ? (
          <button
            type="button"
            className="icon-button widget__dismiss"
            aria-label={`Dismiss ${widget.title}`}
            title="Dismiss"
            onClick={() => actions.edit({ kind: "dismiss", widgetId })}
          >
            ×
          </button>
        ) : null}
      </header>
      {status === "stale" ? <StaleBanner onRefresh={refresh} /> : null}
      <div className="widget__body">{body}</div>
    </section>
  );
});
