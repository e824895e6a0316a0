import { GRID_COLUMNS } from "@agentboard/protocol";
import { useCallback, useEffect, useMemo, useRef } from "react";
import { useDashboard } from "./dashboard-store";
import { GridItem } from "./GridItem";
import type { GridMetrics } from "./use-grid-drag";

/** Must match --row-height and --gap in grid.css. */
const ROW_HEIGHT_PX = 44;
const GAP_PX = 12;

/**
 * The 12-column grid of `state.layout.items`. It re-renders only when the layout changes; widget content
 * updates go straight to each widget's own subscription.
 */
export function DashboardGrid() {
  const items = useDashboard((state) => state.items);
  const editable = useDashboard((state) => state.editable);
  const source = useDashboard((state) => state.source);
  const rev = useDashboard((state) => state.rev);
  const gridRef = useRef<HTMLDivElement>(null);

  const metrics = useCallback((): GridMetrics => {
    const width = gridRef.current?.getBoundingClientRect().width ?? 1200;
    return {
      columnPitch: (width - GAP_PX * (GRID_COLUMNS - 1)) / GRID_COLUMNS + GAP_PX,
      rowPitch: ROW_HEIGHT_PX + GAP_PX,
    };
  }, []);

  // Reading order (and the one-column phone layout) follows the grid: top to bottom, left to right.
  const ordered = useMemo(() => [...items].sort((a, b) => a.y - b.y || a.x - b.x), [items]);
  useFirstPaintMark(source, items.length);

  return (
    <div
      ref={gridRef}
      className="grid"
      data-dashboard-source={source}
      data-dashboard-rev={rev}
      data-editable={editable ? "true" : "false"}
    >
      {ordered.map((item) => (
        <GridItem key={item.widgetId} item={item} editable={editable} metrics={metrics} />
      ))}
    </div>
  );
}

/**
 * Marks `agentboard:dashboard-painted` once per source (cache, server) after the first frame that shows
 * widgets from it: the "first meaningful paint" the paint benchmark reads.
 */
function useFirstPaintMark(source: string, count: number) {
  const marked = useRef(new Set<string>());
  useEffect(() => {
    if (count === 0 || source === "none" || marked.current.has(source)) return;
    marked.current.add(source);
    requestAnimationFrame(() =>
      setTimeout(
        () => performance.mark("agentboard:dashboard-painted", { detail: { source, widgets: count } }),
        0,
      ),
    );
  }, [source, count]);
}
