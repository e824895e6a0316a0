import { createStore, useStore } from "zustand";

/** The signed-in user, as /api/me reports it. */
export interface Identity {
  userId: string;
  name: string;
  role?: string;
  workspaceId: string;
  workspaceName: string;
}

/**
 * `verifying`: /api/me has not answered yet, and the user last signed in on this device is assumed, so the
 * cached dashboard shows at once. `offline`: the server did not answer; that identity (if any) keeps opening
 * this device's cached dashboards until it does.
 */
export type SessionPhase = "loading" | "verifying" | "signed-in" | "signed-out" | "offline";

export interface SessionState {
  phase: SessionPhase;
  identity: Identity | null;
  /** Why the user is signed out (an expired login link, a session that ended). */
  message: string | null;
}

export const sessionStore = createStore<SessionState>(() => ({
  phase: "loading",
  identity: null,
  message: null,
}));

export function useSession<T>(selector: (state: SessionState) => T): T {
  return useStore(sessionStore, selector);
}
