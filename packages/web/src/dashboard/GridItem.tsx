import type { LayoutItem } from "@agentboard/protocol";
import { type CSSProperties, type KeyboardEvent, memo, useId } from "react";
import { useDashboardActions } from "./dashboard-actions";
import { useDashboard } from "./dashboard-store";
import { clampRect, type Rect, sameRect } from "./layout-ops";
import { type GridMetrics, useGridDrag } from "./use-grid-drag";
import { WidgetFrame } from "./WidgetFrame";

interface GridItemProps {
  item: LayoutItem;
  editable: boolean;
  metrics(): GridMetrics;
}

/** Grid placement through CSS custom properties (CSSOM, so allowed by a strict CSP; media queries can override). */
function placement(rect: Rect): CSSProperties {
  return {
    "--col": String(rect.x + 1),
    "--row": String(rect.y + 1),
    "--w": String(rect.w),
    "--h": String(rect.h),
  } as CSSProperties;
}

const KEY_STEPS: Record<string, [number, number]> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
};

/** Arrow keys move by one cell, or resize by one cell. */
function rectForKey(rect: Rect, key: string, resize: boolean): Rect | null {
  const step = KEY_STEPS[key];
  if (!step) return null;
  const [dx, dy] = step;
  return resize ? { ...rect, w: rect.w + dx, h: rect.h + dy } : { ...rect, x: rect.x + dx, y: rect.y + dy };
}

export const GridItem = memo(function GridItem({ item, editable, metrics }: GridItemProps) {
  const actions = useDashboardActions();
  const title = useDashboard((state) => state.widgets[item.widgetId]?.title) ?? item.widgetId;
  const hintId = useId();
  const rect: Rect = { x: item.x, y: item.y, w: item.w, h: item.h };
  const drop = (target: Rect) => {
    if (!sameRect(target, rect)) actions.edit({ kind: "move", widgetId: item.widgetId, to: target });
  };
  const { preview, handlers } = useGridDrag({ rect, metrics, clamp: clampRect, onDrop: drop });

  const keyDown = (alwaysResize: boolean) => (event: KeyboardEvent<HTMLButtonElement>) => {
    const target = rectForKey(rect, event.key, alwaysResize || event.shiftKey);
    if (!target) return;
    event.preventDefault();
    drop(clampRect(target));
  };

  const style: CSSProperties = { ...placement(rect) };
  if (preview?.mode === "move") style.transform = `translate(${preview.dx}px, ${preview.dy}px)`;
  if (preview?.mode === "resize") {
    style.width = `calc(100% + ${preview.dx}px)`;
    style.height = `calc(100% + ${preview.dy}px)`;
  }

  const handle = editable ? (
    <>
      <button
        type="button"
        className="icon-button drag-handle"
        aria-label={`Move ${title}`}
        aria-describedby={hintId}
        title="Drag to move; arrow keys move, Shift+arrow keys resize"
        onKeyDown={keyDown(false)}
        {...handlers("move")}
      >
        ⠿
      </button>
      <span id={hintId} className="visually-hidden">
        Arrow keys move the widget by one cell; Shift with arrow keys resizes it.
      </span>
    </>
  ) : undefined;

  return (
    <>
      <div
        className={preview ? "grid-item is-dragging" : "grid-item"}
        style={style}
        data-layout-widget-id={item.widgetId}
        data-layout={`${rect.x},${rect.y},${rect.w},${rect.h}`}
      >
        <WidgetFrame widgetId={item.widgetId} editable={editable} handle={handle} />
        {editable ? (
          <button
            type="button"
            className="resize-handle"
            aria-label={`Resize ${title}`}
            title="Drag to resize; arrow keys resize"
            onKeyDown={keyDown(true)}
            {...handlers("resize")}
          />
        ) : null}
      </div>
      {preview ? <div className="grid-ghost" style={placement(preview.target)} aria-hidden="true" /> : null}
    </>
  );
});
