import { useApprovals } from "./approvals-store";

export function usePendingCount(): number {
  return useApprovals((state) => Object.keys(state.pending).length);
}

export function PendingBadge() {
  const count = usePendingCount();
  if (count === 0) return null;
  return (
    <span className="badge" data-pending-count={count} aria-hidden="true">
      {count > 99 ? "99+" : count}
    </span>
  );
}
