import type { Approval } from "@agentboard/protocol";
import { forwardRef, type KeyboardEvent, useState } from "react";
import { PrincipalName } from "../directory/PrincipalName";
import { useNow } from "../lib/clock-store";
import { formatCountdown, formatRelative } from "../lib/time";
import { decide } from "./approval-actions";
import { formatArgs, PRIORITY_LABEL, ROUTE_LABEL, requesterOf } from "./approval-format";
import { useApprovals } from "./approvals-store";

interface ApprovalDetailProps {
  approval: Approval;
  /** Called when Escape leaves the reason field, to hand the keyboard back to the list. */
  onLeaveReason(): void;
}

/** The three answers a pending approval offers, in button order. */
const DECISIONS = [
  { decision: "approve", label: "Approve", className: "button button--primary" },
  { decision: "reject", label: "Reject", className: "button button--danger" },
  { decision: "cancel", label: "Cancel request", className: "button" },
] as const;

/** Everything a human needs to decide: the exact action and arguments, who asks, and until when. */
export const ApprovalDetail = forwardRef<HTMLTextAreaElement, ApprovalDetailProps>(function ApprovalDetail(
  { approval, onLeaveReason },
  reasonRef,
) {
  const [reason, setReason] = useState("");
  const busy = useApprovals((state) => state.busy[approval.id]);
  const now = useNow(1000);
  const run = (decision: "approve" | "reject" | "cancel") => decide(approval.id, decision, reason);

  const onReasonKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      void run("reject");
    } else if (event.key === "Escape") {
      event.preventDefault();
      onLeaveReason();
    }
  };

  return (
    <article
      className="approval-detail"
      aria-labelledby="approval-detail-title"
      data-approval-detail={approval.id}
    >
      <h2 id="approval-detail-title">{approval.title}</h2>
      {approval.description ? <p className="approval-detail__description">{approval.description}</p> : null}
      <dl className="facts">
        <dt>Type</dt>
        <dd>{approval.type}</dd>
        <dt>Route</dt>
        <dd>{ROUTE_LABEL[approval.route]}</dd>
        <dt>Priority</dt>
        <dd>{PRIORITY_LABEL[approval.priority]}</dd>
        {approval.confidence !== undefined ? (
          <>
            <dt>Confidence</dt>
            <dd>{approval.confidence}%</dd>
          </>
        ) : null}
        <dt>Requested by</dt>
        <dd>
          <PrincipalName className="approval-detail__requester" principal={requesterOf(approval)} />
        </dd>
        <dt>Requested</dt>
        <dd>
          <time dateTime={approval.createdAt}>{formatRelative(Date.parse(approval.createdAt), now)}</time>
        </dd>
        {approval.expiresAt ? (
          <>
            <dt>Expires</dt>
            <dd>
              <time dateTime={approval.expiresAt}>
                in {formatCountdown(Date.parse(approval.expiresAt), now)}
              </time>
              {approval.onTimeout === "reject" ? " (then rejected)" : ""}
            </dd>
          </>
        ) : null}
      </dl>
      <h3>Action</h3>
      <p className="approval-detail__tool">
        Tool: <code>{approval.action.tool ?? "(none)"}</code>
      </p>
      <pre className="approval-detail__args" data-approval-args="">
        {formatArgs(approval.action.args)}
      </pre>
      <p className="approval-detail__hash">
        Arguments hash <code>{approval.argsHash.slice(0, 16)}…</code>: a decision applies to exactly these
        arguments.
      </p>
      <label className="field">
        <span>Reason (optional, sent to the requester)</span>
        <textarea
          ref={reasonRef}
          rows={2}
          value={reason}
          onChange={(event) => setReason(event.target.value)}
          onKeyDown={onReasonKey}
          maxLength={1000}
          placeholder="Enter rejects with this reason, Esc goes back"
        />
      </label>
      <div className="approval-detail__actions">
        {DECISIONS.map(({ decision, label, className }) => (
          <button
            key={decision}
            type="button"
            className={className}
            disabled={busy !== undefined}
            onClick={() => run(decision)}
          >
            {label}
          </button>
        ))}
        {busy ? (
          <span className="approval-detail__busy" role="status">
            <span className="spinner" aria-hidden="true" /> Sending…
          </span>
        ) : null}
      </div>
    </article>
  );
});
