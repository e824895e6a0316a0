import type { Approval, ApprovalPriority } from "@agentboard/protocol";
import { createStore, useStore } from "zustand";

export type FeedStatus = "connecting" | "live" | "reconnecting";

export interface ApprovalsState {
  /** Pending approvals by id; anything decided leaves at once. */
  pending: Readonly<Record<string, Approval>>;
  /** The row the keyboard and the detail pane work on. */
  selectedId: string | null;
  /** Rows ticked for a bulk decision. */
  checked: Readonly<Record<string, true>>;
  /** Requests being decided from this tab, so their buttons show progress. */
  busy: Readonly<Record<string, "approve" | "reject" | "cancel">>;
  feed: FeedStatus;
  loaded: boolean;
  loadError: string | null;
}

/** The state before anything has loaded: where the store starts and what a reset returns to. */
const initialApprovals = (): ApprovalsState => ({
  pending: {},
  selectedId: null,
  checked: {},
  busy: {},
  feed: "connecting",
  loaded: false,
  loadError: null,
});

export const approvalsStore = createStore<ApprovalsState>(initialApprovals);

export function useApprovals<T>(selector: (state: ApprovalsState) => T): T {
  return useStore(approvalsStore, selector);
}

const PRIORITY_RANK: Record<ApprovalPriority, number> = { urgent: 0, high: 1, normal: 2, low: 3 };

/** Triage order: most urgent first, then oldest first (it has waited longest). */
export function orderPending(pending: Readonly<Record<string, Approval>>): Approval[] {
  return Object.values(pending).sort(
    (a, b) =>
      PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] ||
      a.createdAt.localeCompare(b.createdAt) ||
      a.id.localeCompare(b.id),
  );
}

/** The approval's latest known version wins; versions only grow. */
function isNewer(next: Approval, current: Approval | undefined): boolean {
  return current === undefined || next.version >= current.version;
}

function without<T>(record: Readonly<Record<string, T>>, id: string): Record<string, T> {
  const { [id]: _removed, ...rest } = record;
  return rest;
}

/** Applies one approval as the server reported it (list, event or decision answer). */
export function applyApproval(approval: Approval): void {
  approvalsStore.setState((state) => {
    const current = state.pending[approval.id];
    if (!isNewer(approval, current)) return state;
    if (approval.status === "pending") {
      return { pending: { ...state.pending, [approval.id]: approval } };
    }
    if (!current) return state;
    const pending = without(state.pending, approval.id);
    let selectedId = state.selectedId;
    if (selectedId === approval.id) {
      // Keep the keyboard where it was: the next row takes the place of the one that left.
      const order = orderPending(state.pending).map((a) => a.id);
      const index = order.indexOf(approval.id);
      selectedId = order[index + 1] ?? order[index - 1] ?? null;
    }
    return {
      pending,
      selectedId,
      checked: without(state.checked, approval.id),
      busy: without(state.busy, approval.id),
    };
  });
}

/** Replaces the pending set with a fresh list (after every (re)subscription). */
export function replacePending(items: readonly Approval[]): void {
  approvalsStore.setState((state) => {
    const pending: Record<string, Approval> = {};
    for (const approval of items) if (approval.status === "pending") pending[approval.id] = approval;
    const selectedId = state.selectedId && pending[state.selectedId] ? state.selectedId : null;
    const checked = Object.fromEntries(
      Object.keys(state.checked)
        .filter((id) => pending[id])
        .map((id) => [id, true as const]),
    );
    return { pending, selectedId, checked, loaded: true, loadError: null };
  });
}

export function selectApproval(id: string | null): void {
  approvalsStore.setState({ selectedId: id });
}

/** Moves the selection by `step` rows in triage order (j/k). */
export function moveSelection(step: number): void {
  approvalsStore.setState((state) => {
    const order = orderPending(state.pending).map((a) => a.id);
    if (order.length === 0) return { selectedId: null };
    const index = state.selectedId ? order.indexOf(state.selectedId) : -1;
    const next =
      index < 0 ? (step > 0 ? 0 : order.length - 1) : Math.min(order.length - 1, Math.max(0, index + step));
    return { selectedId: order[next] ?? null };
  });
}

export function toggleChecked(id: string, on?: boolean): void {
  approvalsStore.setState((state) => {
    const isOn = on ?? !state.checked[id];
    return { checked: isOn ? { ...state.checked, [id]: true } : without(state.checked, id) };
  });
}

export function setAllChecked(on: boolean): void {
  approvalsStore.setState((state) => ({
    checked: on ? Object.fromEntries(Object.keys(state.pending).map((id) => [id, true as const])) : {},
  }));
}

export function setBusy(id: string, action: "approve" | "reject" | "cancel" | null): void {
  approvalsStore.setState((state) => ({
    busy: action ? { ...state.busy, [id]: action } : without(state.busy, id),
  }));
}

export function resetApprovals(): void {
  approvalsStore.setState(initialApprovals());
}
