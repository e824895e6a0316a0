import { PrincipalName } from "./PrincipalName";

/** Who last wrote a widget (its server-set `updatedBy`), by display name; the id in the tooltip. */
export function WidgetAttribution({ updatedBy }: { updatedBy: string }) {
  return (
    <span className="widget__by" data-widget-updated-by={updatedBy}>
      by <PrincipalName principal={updatedBy} />
    </span>
  );
}
