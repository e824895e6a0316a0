/** Pure geometry for the small SVG charts: values in, SVG coordinates and paths out. */

export interface Box {
  width: number;
  height: number;
  /** Space kept free at the left/bottom for axis labels, and at the top/right. */
  padding: { top: number; right: number; bottom: number; left: number };
}

export interface Scale {
  min: number;
  max: number;
}

/** The y range of all values, always including 0 so bars and areas have a baseline, never empty. */
export function valueScale(values: readonly number[]): Scale {
  const finite = values.filter(Number.isFinite);
  let min = Math.min(0, ...finite);
  let max = Math.max(0, ...finite);
  if (min === max) {
    max = min + 1;
  }
  if (finite.length === 0) {
    min = 0;
    max = 1;
  }
  return { min, max };
}

export function yFor(value: number, scale: Scale, box: Box): number {
  const inner = box.height - box.padding.top - box.padding.bottom;
  return round(box.padding.top + inner * (1 - ratioIn(value, scale)));
}

/**
 * Where `value` sits between `scale.min` (0) and `scale.max` (1). Any finite doubles are valid props, and
 * `max - min` of two of them can exceed Number.MAX_VALUE (1.7e308 - -1.7e308 = Infinity, and then
 * Infinity / Infinity = NaN in every SVG coordinate). When a difference overflows, both sides are halved
 * first: halving a double only lowers its exponent, so it is exact except for subnormals (below 2.2e-308),
 * whose rounding is nothing next to a span that overflowed; and the difference of two halved finite doubles
 * always fits. Scaling both sides by one factor keeps the ratio, and ranges that do not overflow take the
 * plain formula, so ordinary charts render exactly as before (same numbers, same rounding).
 */
function ratioIn(value: number, scale: Scale): number {
  const span = scale.max - scale.min;
  const offset = value - scale.min;
  if (Number.isFinite(span) && Number.isFinite(offset)) return offset / span;
  return (value / 2 - scale.min / 2) / (scale.max / 2 - scale.min / 2);
}

/** x of the i-th of n points spread over the inner width (a single point sits in the middle). */
export function xFor(index: number, count: number, box: Box): number {
  const inner = box.width - box.padding.left - box.padding.right;
  if (count <= 1) return round(box.padding.left + inner / 2);
  return round(box.padding.left + (inner * index) / (count - 1));
}

export function linePath(values: readonly number[], scale: Scale, box: Box): string {
  return values
    .map((value, i) => `${i === 0 ? "M" : "L"}${xFor(i, values.length, box)},${yFor(value, scale, box)}`)
    .join(" ");
}

/** The line closed down to the zero baseline, for filled areas. */
export function areaPath(values: readonly number[], scale: Scale, box: Box): string {
  if (values.length === 0) return "";
  const base = yFor(Math.max(scale.min, Math.min(0, scale.max)), scale, box);
  const first = xFor(0, values.length, box);
  const last = xFor(values.length - 1, values.length, box);
  return `${linePath(values, scale, box)} L${last},${base} L${first},${base} Z`;
}

export interface BarRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Grouped bars: `series[s][i]` is the value of series s at category i. */
export function barRects(series: readonly (readonly number[])[], scale: Scale, box: Box): BarRect[][] {
  const categories = Math.max(0, ...series.map((values) => values.length));
  const inner = box.width - box.padding.left - box.padding.right;
  const slot = categories > 0 ? inner / categories : inner;
  const groupWidth = slot * 0.75;
  const barWidth = series.length > 0 ? groupWidth / series.length : groupWidth;
  const base = yFor(Math.max(scale.min, Math.min(0, scale.max)), scale, box);
  return series.map((values, s) =>
    values.map((value, i) => {
      const y = yFor(value, scale, box);
      return {
        x: round(box.padding.left + slot * i + (slot - groupWidth) / 2 + barWidth * s),
        y: Math.min(y, base),
        width: round(Math.max(1, barWidth - 1)),
        height: round(Math.max(1, Math.abs(base - y))),
      };
    }),
  );
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
