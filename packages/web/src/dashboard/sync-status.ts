import type { SyncStatus } from "@agentboard/client";
import { createStore, useStore } from "zustand";

/** What the indicator shows (contract.md "Browser test hooks": `data-sync-status`). */
export type UiSyncStatus = "connected" | "reconnecting" | "offline";

/**
 * The SDK says whether it is live; whether a reconnect is just under way or the server is out of reach
 * comes from the browser's online flag and from the last attempt failing without any answer.
 */
export function deriveSyncStatus(sdk: SyncStatus, unreachable: boolean, online: boolean): UiSyncStatus {
  if (sdk === "connected") return "connected";
  if (sdk === "offline") return "offline";
  return unreachable || !online ? "offline" : "reconnecting";
}

export interface SyncStatusState {
  status: UiSyncStatus;
  /** A short explanation for the tooltip and screen readers. */
  detail: string;
}

export const syncStatusStore = createStore<SyncStatusState>(() => ({
  status: "reconnecting",
  detail: "Connecting…",
}));

export function useSyncStatus(): SyncStatusState {
  return useStore(syncStatusStore);
}
