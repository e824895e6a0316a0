import type { WidgetPropsByType } from "@agentboard/protocol";
import { areaPath, type Box, barRects, linePath, valueScale, yFor } from "./chart-geometry";

const BOX: Box = { width: 320, height: 150, padding: { top: 8, right: 8, bottom: 18, left: 34 } };
const SERIES_CLASSES = 8;
const numberFormat = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });

type ChartProps = WidgetPropsByType["chart"];

function categoryLabels(series: ChartProps["series"]): string[] {
  const longest = series.reduce<ChartProps["series"][number]["points"]>(
    (best, s) => (s.points.length > best.length ? s.points : best),
    [],
  );
  return longest.map((point) => String(point.x));
}

export function ChartWidget({ props }: { props: ChartProps }) {
  const values = props.series.map((s) => s.points.map((point) => point.y));
  const scale = valueScale(values.flat());
  const labels = categoryLabels(props.series);
  const top = yFor(scale.max, scale, BOX);
  const bottom = yFor(scale.min, scale, BOX);
  const summary = props.series
    .map((s) => `${s.name}: ${s.points.map((p) => `${String(p.x)} ${p.y}`).join(", ")}`)
    .join("; ");
  return (
    <figure className="chart">
      <svg
        className="chart__svg"
        viewBox={`0 0 ${BOX.width} ${BOX.height}`}
        role="img"
        aria-label={`${props.kind} chart. ${summary}`}
      >
        <line
          className="chart__axis"
          x1={BOX.padding.left}
          x2={BOX.width - BOX.padding.right}
          y1={bottom}
          y2={bottom}
        />
        <text className="chart__tick" x={BOX.padding.left - 4} y={top + 4} textAnchor="end">
          {numberFormat.format(scale.max)}
        </text>
        <text className="chart__tick" x={BOX.padding.left - 4} y={bottom} textAnchor="end">
          {numberFormat.format(scale.min)}
        </text>
        {labels.length > 0 ? (
          <>
            <text className="chart__tick" x={BOX.padding.left} y={BOX.height - 4} textAnchor="start">
              {labels[0]}
            </text>
            <text
              className="chart__tick"
              x={BOX.width - BOX.padding.right}
              y={BOX.height - 4}
              textAnchor="end"
            >
              {labels.at(-1)}
            </text>
          </>
        ) : null}
        {props.kind === "bar"
          ? barRects(values, scale, BOX).map((rects, s) => (
              <g
                key={props.series[s]!.name + String(s)}
                className={`chart__series chart__series--${s % SERIES_CLASSES}`}
              >
                {rects.map((rect, i) => (
                  <rect key={`${String(i)}`} x={rect.x} y={rect.y} width={rect.width} height={rect.height} />
                ))}
              </g>
            ))
          : values.map((series, s) => (
              <g
                key={props.series[s]!.name + String(s)}
                className={`chart__series chart__series--${s % SERIES_CLASSES}`}
              >
                {props.kind === "area" ? (
                  <path className="chart__area" d={areaPath(series, scale, BOX)} />
                ) : null}
                <path className="chart__line" d={linePath(series, scale, BOX)} />
              </g>
            ))}
      </svg>
      {props.series.length > 1 ? (
        <figcaption className="chart__legend">
          {props.series.map((s, i) => (
            <span key={s.name + String(i)} className={`chart__key chart__series--${i % SERIES_CLASSES}`}>
              {s.name}
            </span>
          ))}
        </figcaption>
      ) : null}
    </figure>
  );
}
