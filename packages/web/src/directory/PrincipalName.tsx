import { useContext } from "react";
import { NameSourceContext } from "./name-source";

/**
 * A principal as people read it: its display name from the directory, its id (what stays stable) in the
 * tooltip and in `data-principal-id`. `labels` also resolves free text naming an agent (activity actors).
 * `freeText` is for text that only may be a principal's id (a task's assignee): unless the directory knows
 * it, it shows exactly as written and claims no id, so a label like "ana" is never dressed up as a principal.
 */
export function PrincipalName({
  principal,
  labels,
  freeText,
  className,
}: {
  principal: string;
  labels?: boolean;
  freeText?: boolean;
  className?: string;
}) {
  const useName = useContext(NameSourceContext);
  const { name, id, known } = useName(principal, { labels });
  if (freeText && !known) return <span className={className}>{principal}</span>;
  return (
    <span className={className} title={id === name ? undefined : id} data-principal-id={id}>
      {name}
    </span>
  );
}
