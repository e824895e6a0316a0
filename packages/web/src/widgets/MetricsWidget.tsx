import type { WidgetPropsByType } from "@agentboard/protocol";
import { Sparkline } from "./Sparkline";

const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const deltaFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1, signDisplay: "exceptZero" });

function directionOf(delta: number | undefined): "up" | "down" | "flat" {
  if (delta === undefined || delta === 0) return "flat";
  return delta > 0 ? "up" : "down";
}

export function MetricsWidget({ props }: { props: WidgetPropsByType["metrics"] }) {
  return (
    <ul className="metrics">
      {props.items.map((item, i) => {
        const direction = directionOf(item.delta);
        return (
          <li key={`${item.label}-${String(i)}`} className="metric">
            <span className="metric__label">{item.label}</span>
            <span className="metric__value">
              {numberFormat.format(item.value)}
              {item.unit ? <span className="metric__unit"> {item.unit}</span> : null}
            </span>
            {item.delta !== undefined ? (
              <span className={`metric__delta metric__delta--${direction}`}>
                <span aria-hidden="true">{direction === "up" ? "▲" : direction === "down" ? "▼" : "•"} </span>
                {deltaFormat.format(item.delta)}%
              </span>
            ) : null}
            {item.trend && item.trend.length > 1 ? (
              <>
                <Sparkline values={item.trend} direction={direction} />
                <span className="visually-hidden">
                  Trend: {item.trend.map((value) => numberFormat.format(value)).join(", ")}
                </span>
              </>
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}
