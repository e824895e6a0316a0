import type { WidgetPropsByType } from "@agentboard/protocol";
import { formatDate } from "../lib/time";

const STATUS_LABEL = {
  on_track: "On track",
  at_risk: "At risk",
  off_track: "Off track",
  done: "Done",
} as const;

export function ProjectStatusWidget({ props }: { props: WidgetPropsByType["project_status"] }) {
  const progress = Math.round(props.progress);
  return (
    <div className="project-status">
      <div className="project-status__head">
        <span className="project-status__name">{props.name}</span>
        <span className={`pill pill--${props.status}`}>{STATUS_LABEL[props.status]}</span>
      </div>
      <div
        className="progress"
        role="progressbar"
        aria-label={`${props.name} progress`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={progress}
      >
        <span
          className={`progress__fill progress__fill--${props.status}`}
          style={{ width: `${progress}%` }}
        />
      </div>
      <div className="project-status__meta">
        <span>{progress}% complete</span>
        {props.due ? <span>Due {formatDate(props.due)}</span> : null}
      </div>
      {props.milestones?.length ? (
        <ul className="checklist" aria-label="Milestones">
          {props.milestones.map((milestone, i) => (
            <li key={`${milestone.title}-${String(i)}`} className={milestone.done ? "is-done" : undefined}>
              <span className="checklist__mark" aria-hidden="true">
                {milestone.done ? "✓" : ""}
              </span>
              <span>{milestone.title}</span>
              <span className="visually-hidden">{milestone.done ? "(done)" : "(open)"}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
