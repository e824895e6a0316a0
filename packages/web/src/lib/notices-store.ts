import { createStore, useStore } from "zustand";

/**
 * Things the user must be told: a conflict that could not be rebased, a discarded cache, a failed save.
 * `conflict`, `error` and `cache` stay until dismissed; `info` goes away by itself.
 */
export type NoticeKind = "conflict" | "error" | "cache" | "info";

export interface Notice {
  id: number;
  kind: NoticeKind;
  message: string;
}

interface NoticesState {
  notices: readonly Notice[];
}

const MAX_NOTICES = 5;
const INFO_TIMEOUT_MS = 6_000;

export const noticesStore = createStore<NoticesState>(() => ({ notices: [] }));
let nextId = 1;

export function notify(kind: NoticeKind, message: string): number {
  const id = nextId++;
  noticesStore.setState((state) => ({
    notices: [...state.notices, { id, kind, message }].slice(-MAX_NOTICES),
  }));
  if (kind === "info") setTimeout(() => dismissNotice(id), INFO_TIMEOUT_MS);
  return id;
}

export function dismissNotice(id: number): void {
  noticesStore.setState((state) => ({ notices: state.notices.filter((notice) => notice.id !== id) }));
}

export function useNotices(): readonly Notice[] {
  return useStore(noticesStore, (state) => state.notices);
}
