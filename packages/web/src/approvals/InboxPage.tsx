import { useCallback, useEffect, useMemo, useRef } from "react";
import { ApprovalDetail } from "./ApprovalDetail";
import { ApprovalRow } from "./ApprovalRow";
import { decideChecked } from "./approval-actions";
import { approvalsStore, orderPending, setAllChecked, useApprovals } from "./approvals-store";
import { useInboxKeys } from "./use-inbox-keys";

const FEED_LABEL = { connecting: "Connecting…", live: "Live", reconnecting: "Reconnecting…" } as const;

export function InboxPage() {
  const pending = useApprovals((state) => state.pending);
  const selectedId = useApprovals((state) => state.selectedId);
  const checkedCount = useApprovals((state) => Object.keys(state.checked).length);
  const feed = useApprovals((state) => state.feed);
  const loaded = useApprovals((state) => state.loaded);
  const loadError = useApprovals((state) => state.loadError);
  const ordered = useMemo(() => orderPending(pending), [pending]);
  const selected = selectedId ? pending[selectedId] : undefined;
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  const listRef = useRef<HTMLUListElement>(null);

  const focusSelected = useCallback(() => {
    // After the store update has rendered.
    requestAnimationFrame(() => {
      const id = approvalsStore.getState().selectedId;
      if (!id) return;
      listRef.current
        ?.querySelector<HTMLButtonElement>(`[data-approval-select="${CSS.escape(id)}"]`)
        ?.focus();
    });
  }, []);
  const focusReason = useCallback(() => reasonRef.current?.focus(), []);
  useInboxKeys({ focusReason, focusSelected });

  // Something to work on from the first key press.
  useEffect(() => {
    if (!selectedId && ordered[0]) approvalsStore.setState({ selectedId: ordered[0].id });
  }, [selectedId, ordered]);

  return (
    <main className="inbox" aria-label="Approval inbox">
      <div className="inbox__list-pane">
        <div className="inbox__toolbar">
          <h1>Approvals</h1>
          <span className={`feed feed--${feed}`} data-feed-status={feed}>
            {FEED_LABEL[feed]}
          </span>
        </div>
        <p className="inbox__keys">
          <kbd>j</kbd>/<kbd>k</kbd> move · <kbd>a</kbd> approve · <kbd>r</kbd> reject with reason ·{" "}
          <kbd>x</kbd> select
        </p>
        {ordered.length > 0 ? (
          <div className="bulk-bar">
            <label>
              <input
                type="checkbox"
                checked={checkedCount > 0 && checkedCount === ordered.length}
                onChange={(event) => setAllChecked(event.target.checked)}
              />{" "}
              Select all
            </label>
            {checkedCount > 0 ? (
              <>
                <span>{checkedCount} selected</span>
                {(["approve", "reject"] as const).map((decision) => (
                  <button
                    key={decision}
                    type="button"
                    className="button button--small"
                    onClick={() => void decideChecked(decision)}
                  >
                    {decision === "approve" ? "Approve selected" : "Reject selected"}
                  </button>
                ))}
              </>
            ) : null}
          </div>
        ) : null}
        {loadError ? (
          <p className="inbox__error" role="alert">
            {loadError}
          </p>
        ) : null}
        {loaded && ordered.length === 0 ? (
          <p className="inbox__empty">Nothing waits for a decision.</p>
        ) : null}
        <ul className="approval-list" ref={listRef} aria-label="Pending approvals">
          {ordered.map((approval) => (
            <ApprovalRow key={approval.id} approval={approval} />
          ))}
        </ul>
      </div>
      <div className="inbox__detail-pane">
        {selected ? (
          <ApprovalDetail
            key={selected.id}
            ref={reasonRef}
            approval={selected}
            onLeaveReason={focusSelected}
          />
        ) : (
          <p className="inbox__hint">Select a request to see the exact action.</p>
        )}
      </div>
    </main>
  );
}
