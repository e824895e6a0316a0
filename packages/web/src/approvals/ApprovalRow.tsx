import type { Approval } from "@agentboard/protocol";
import { memo } from "react";
import { PrincipalName } from "../directory/PrincipalName";
import { useNow } from "../lib/clock-store";
import { formatCountdown, formatRelative } from "../lib/time";
import { PRIORITY_LABEL, ROUTE_LABEL, requesterOf } from "./approval-format";
import { selectApproval, toggleChecked, useApprovals } from "./approvals-store";

export const ApprovalRow = memo(function ApprovalRow({ approval }: { approval: Approval }) {
  const selected = useApprovals((state) => state.selectedId === approval.id);
  const checked = useApprovals((state) => state.checked[approval.id] === true);
  const busy = useApprovals((state) => state.busy[approval.id]);
  const now = useNow(1000);
  const expiresAt = approval.expiresAt ? Date.parse(approval.expiresAt) : undefined;
  return (
    <li
      className={`approval-row${selected ? " is-selected" : ""}`}
      data-approval-id={approval.id}
      data-approval-status={approval.status}
      aria-current={selected ? "true" : undefined}
      aria-busy={busy ? true : undefined}
    >
      <input
        type="checkbox"
        className="approval-row__check"
        checked={checked}
        aria-label={`Select ${approval.title}`}
        onChange={(event) => toggleChecked(approval.id, event.target.checked)}
      />
      <button
        type="button"
        className="approval-row__main"
        data-approval-select={approval.id}
        onClick={() => selectApproval(approval.id)}
      >
        <span className="approval-row__title">{approval.title}</span>
        <span className="approval-row__meta">
          <span className={`tag tag--${approval.priority}`}>{PRIORITY_LABEL[approval.priority]}</span>
          <span className={`tag tag--route-${approval.route}`}>{ROUTE_LABEL[approval.route]}</span>
          <PrincipalName className="approval-row__requester" principal={requesterOf(approval)} />
          <span className="approval-row__age">{formatRelative(Date.parse(approval.createdAt), now)}</span>
          {expiresAt !== undefined ? (
            <span className="approval-row__expiry" data-expires-at={approval.expiresAt}>
              expires in {formatCountdown(expiresAt, now)}
            </span>
          ) : null}
        </span>
      </button>
    </li>
  );
});
