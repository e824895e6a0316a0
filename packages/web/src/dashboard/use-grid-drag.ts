import { type PointerEvent as ReactPointerEvent, useRef, useState } from "react";
import type { Rect } from "./layout-ops";

export interface GridMetrics {
  /** Pixels from one column start to the next, and from one row start to the next. */
  columnPitch: number;
  rowPitch: number;
}

export interface DragPreview {
  mode: "move" | "resize";
  dx: number;
  dy: number;
  target: Rect;
}

/** The rect a drag by (dx, dy) pixels ends on, snapped to whole cells. */
export function snapDrag(
  rect: Rect,
  mode: "move" | "resize",
  dx: number,
  dy: number,
  metrics: GridMetrics,
): Rect {
  const columns = Math.round(dx / metrics.columnPitch);
  const rows = Math.round(dy / metrics.rowPitch);
  return mode === "move"
    ? { ...rect, x: rect.x + columns, y: rect.y + rows }
    : { ...rect, w: rect.w + columns, h: rect.h + rows };
}

/**
 * Pointer dragging of one grid item (move with the handle, resize with the corner). The preview is local
 * state of that item; only the drop produces an edit.
 */
export function useGridDrag(options: {
  rect: Rect;
  metrics(): GridMetrics;
  clamp(rect: Rect): Rect;
  onDrop(target: Rect): void;
}) {
  const [preview, setPreview] = useState<DragPreview | null>(null);
  const start = useRef<{ x: number; y: number; mode: "move" | "resize"; pointerId: number } | null>(null);

  const begin = (mode: "move" | "resize") => (event: ReactPointerEvent<HTMLElement>) => {
    if (event.button !== 0) return;
    event.preventDefault();
    event.currentTarget.setPointerCapture(event.pointerId);
    start.current = { x: event.clientX, y: event.clientY, mode, pointerId: event.pointerId };
    setPreview({ mode, dx: 0, dy: 0, target: options.rect });
  };

  const move = (event: ReactPointerEvent<HTMLElement>) => {
    const origin = start.current;
    if (!origin || origin.pointerId !== event.pointerId) return;
    const dx = event.clientX - origin.x;
    const dy = event.clientY - origin.y;
    const target = options.clamp(snapDrag(options.rect, origin.mode, dx, dy, options.metrics()));
    setPreview({ mode: origin.mode, dx, dy, target });
  };

  const end = (event: ReactPointerEvent<HTMLElement>) => {
    const origin = start.current;
    if (!origin || origin.pointerId !== event.pointerId) return;
    start.current = null;
    const dx = event.clientX - origin.x;
    const dy = event.clientY - origin.y;
    setPreview(null);
    options.onDrop(options.clamp(snapDrag(options.rect, origin.mode, dx, dy, options.metrics())));
  };

  const cancel = () => {
    start.current = null;
    setPreview(null);
  };

  const handlers = (mode: "move" | "resize") => ({
    onPointerDown: begin(mode),
    onPointerMove: move,
    onPointerUp: end,
    onPointerCancel: cancel,
  });

  return { preview, handlers };
}
