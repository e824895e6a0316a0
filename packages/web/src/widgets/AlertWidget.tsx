import type { WidgetPropsByType } from "@agentboard/protocol";
import { SafeLink } from "./SafeLink";

const ICON = { info: "i", success: "✓", warning: "!", error: "×" } as const;

export function AlertWidget({ props }: { props: WidgetPropsByType["alert"] }) {
  return (
    <div className={`alert alert--${props.severity}`}>
      <span className="alert__icon" aria-hidden="true">
        {ICON[props.severity]}
      </span>
      <div className="alert__body">
        <span className="visually-hidden">{props.severity}: </span>
        <p className="alert__message">{props.message}</p>
        {props.link ? (
          <SafeLink className="alert__link" href={props.link.href} label={props.link.label} />
        ) : null}
      </div>
    </div>
  );
}
