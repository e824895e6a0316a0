import { useContext } from "react";
import { NameSourceContext } from "./name-source";

/**
 * A principal as people read it: its display name from the directory, its id (what stays stable) in the
 * tooltip and in `data-principal-id`. `labels` also resolves free text naming an agent (activity actors).
 */
export function PrincipalName({
  principal,
  labels,
  className,
}: {
  principal: string;
  labels?: boolean;
  className?: string;
}) {
  const useName = useContext(NameSourceContext);
  const { name, id } = useName(principal, { labels });
  return (
    <span className={className} title={id === name ? undefined : id} data-principal-id={id}>
      {name}
    </span>
  );
}
