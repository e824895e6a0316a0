import type { WidgetPropsByType } from "@agentboard/protocol";
import { PrincipalName } from "../directory/PrincipalName";
import { useNow } from "../lib/clock-store";
import { formatRelative, parseTime } from "../lib/time";
import { SafeLink } from "./SafeLink";

export function ActivityWidget({ props }: { props: WidgetPropsByType["activity"] }) {
  // Relative times change by the minute at most.
  const now = useNow(30_000);
  return (
    <ol className="activity">
      {props.entries.map((entry) => {
        const at = parseTime(entry.at);
        return (
          <li key={entry.id} className="activity__entry">
            <PrincipalName className="activity__actor" principal={entry.actor} labels />
            <span className="activity__text">{entry.text}</span>
            {entry.link ? (
              <SafeLink className="activity__link" href={entry.link.href} label={entry.link.label} />
            ) : null}
            <time className="activity__time" dateTime={entry.at}>
              {at === undefined ? entry.at : formatRelative(at, now)}
            </time>
          </li>
        );
      })}
    </ol>
  );
}
