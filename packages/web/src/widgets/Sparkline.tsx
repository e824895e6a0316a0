import { type Box, linePath, valueScale } from "./chart-geometry";

const BOX: Box = { width: 100, height: 28, padding: { top: 2, right: 1, bottom: 2, left: 1 } };

/** A trend line without axes; the numbers themselves are in the widget's text. */
export function Sparkline({
  values,
  direction,
}: {
  values: readonly number[];
  direction: "up" | "down" | "flat";
}) {
  if (values.length < 2) return null;
  // Scaled to the values' own range (not from zero) so small movements stay visible.
  const min = Math.min(...values);
  const max = Math.max(...values);
  const scale = min === max ? valueScale(values) : { min, max };
  return (
    <svg
      className={`sparkline sparkline--${direction}`}
      viewBox={`0 0 ${BOX.width} ${BOX.height}`}
      preserveAspectRatio="none"
      aria-hidden="true"
      focusable="false"
    >
      <path d={linePath(values, scale, BOX)} vectorEffect="non-scaling-stroke" />
    </svg>
  );
}
