import { memo, type ReactNode, useEffect } from "react";
import { WidgetAttribution } from "../directory/WidgetAttribution";
import { useDashboardActions } from "./dashboard-actions";
import { useWidget } from "./dashboard-store";
import { countWidgetRender } from "./render-counts";
import { WidgetCard } from "./WidgetCard";

interface WidgetFrameProps {
  widgetId: string;
  editable: boolean;
  /** The move/resize handle, owned by the grid item. */
  handle?: ReactNode;
}

/**
 * One widget of the grid: its card, fed from the store. Subscribes to its own widget only, so an update of
 * another widget never renders this one.
 */
export const WidgetFrame = memo(function WidgetFrame({ widgetId, editable, handle }: WidgetFrameProps) {
  const widget = useWidget(widgetId);
  const actions = useDashboardActions();
  useEffect(() => countWidgetRender(widgetId));
  if (!widget) return null;
  // Who wrote it, by display name (a rename in the directory re-renders only that name, not this frame).
  const attribution = <WidgetAttribution updatedBy={widget.updatedBy} />;
  const dismiss = editable ? (
    <button
      type="button"
      className="icon-button widget__dismiss"
      aria-label={`Dismiss ${widget.title}`}
      title="Dismiss"
      onClick={() => actions.edit({ kind: "dismiss", widgetId })}
    >
      ×
    </button>
  ) : undefined;
  return (
    <WidgetCard
      widget={widget}
      onRefresh={() => actions.refresh(widgetId)}
      start={handle}
      end={
        <>
          {attribution}
          {dismiss}
        </>
      }
    />
  );
});
