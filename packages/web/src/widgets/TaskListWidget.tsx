import type { WidgetPropsByType } from "@agentboard/protocol";
import { PrincipalName } from "../directory/PrincipalName";
import { formatDate } from "../lib/time";

const STATUS_LABEL = { todo: "To do", in_progress: "In progress", blocked: "Blocked", done: "Done" } as const;

export function TaskListWidget({ props }: { props: WidgetPropsByType["task_list"] }) {
  return (
    <ul className="task-list">
      {props.tasks.map((task) => (
        <li key={task.id} className={`task task--${task.status}`}>
          <span className={`task__status task__status--${task.status}`} title={STATUS_LABEL[task.status]}>
            <span className="visually-hidden">{STATUS_LABEL[task.status]}</span>
          </span>
          <span className="task__title">{task.title}</span>
          <span className="task__meta">
            {task.priority && task.priority !== "normal" ? (
              <span className={`tag tag--${task.priority}`}>{task.priority}</span>
            ) : null}
            {/* Agents often write a member's or agent's id here: shown by display name, free labels as written. */}
            {task.assignee ? (
              <PrincipalName className="task__assignee" principal={task.assignee} freeText />
            ) : null}
            {task.due ? <span className="task__due">{formatDate(task.due)}</span> : null}
          </span>
        </li>
      ))}
    </ul>
  );
}
