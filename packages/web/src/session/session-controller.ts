import { type MeResponse, MeResponseSchema } from "@agentboard/protocol";
import type { DashboardCache } from "../cache/dashboard-cache";
import { board } from "../lib/api";
import { describeError, httpStatusOf, isUnreachable } from "../lib/errors";
import { notify } from "../lib/notices-store";
import { forgetIdentity, lastIdentity, rememberIdentity } from "./last-identity";
import { type Identity, sessionStore } from "./session-store";

function identityOf(me: MeResponse): Identity {
  return {
    userId: me.principal.id,
    name: me.principal.name,
    ...(me.principal.role ? { role: me.principal.role } : {}),
    workspaceId: me.workspace.id,
    workspaceName: me.workspace.name,
  };
}

/**
 * Signs in with a one-time `?login=` code when the URL has one (then removes it from the address bar and
 * history, so the code is never bookmarked or shared), and finds out who is signed in.
 */
export async function bootSession(): Promise<void> {
  const url = new URL(window.location.href);
  const code = url.searchParams.get("login");
  // Not while a login link is used: that may be someone else signing in.
  const last = code === null ? lastIdentity() : null;
  if (last) sessionStore.setState({ phase: "verifying", identity: last });
  if (code !== null) {
    url.searchParams.delete("login");
    window.history.replaceState(null, "", `${url.pathname}${url.search}${url.hash}`);
    try {
      await board.request("POST", "/api/auth/session", { code });
    } catch (error) {
      const message =
        httpStatusOf(error) === 401
          ? "This login link is no longer valid (each link works once). Run `npx agentboard login-url` for a new one."
          : `Signing in failed: ${describeError(error)}`;
      sessionStore.setState({ message });
    }
  }
  await loadIdentity();
}

/** GET /api/me → signed in; 401 → signed out; no answer → offline with the last identity of this device. */
export async function loadIdentity(): Promise<void> {
  try {
    const me = MeResponseSchema.parse(await board.request("GET", "/api/me"));
    if (me.principal.kind !== "user") {
      sessionStore.setState({
        phase: "signed-out",
        identity: null,
        message: "Agent tokens cannot use the web app.",
      });
      return;
    }
    const identity = identityOf(me);
    rememberIdentity(identity);
    sessionStore.setState({ phase: "signed-in", identity, message: null });
  } catch (error) {
    if (isUnreachable(error)) {
      sessionStore.setState({ phase: "offline", identity: lastIdentity() });
      return;
    }
    const status = httpStatusOf(error);
    sessionStore.setState((state) => ({
      phase: "signed-out",
      identity: null,
      message: status === 401 ? state.message : `Could not load your account: ${describeError(error)}`,
    }));
  }
}

/** The server refused the session (expired, revoked): back to the sign-in screen. */
export function sessionEnded(): void {
  sessionStore.setState({
    phase: "signed-out",
    identity: null,
    message: "Your session has ended. Open a new login link to sign in again.",
  });
}

/** Ends the session and removes everything this user left in this browser's cache. */
export async function signOut(cache: DashboardCache | null): Promise<void> {
  const identity = sessionStore.getState().identity;
  // Signed out first: that closes the dashboard (and its pending cache writes) before the cache is cleared.
  sessionStore.setState({ phase: "signed-out", identity: null, message: "You are signed out." });
  try {
    await board.request("DELETE", "/api/auth/session");
  } catch (error) {
    if (!isUnreachable(error)) notify("error", `Signing out on the server failed: ${describeError(error)}`);
  }
  if (identity && cache) await cache.clearOwner(identity).catch(() => 0);
  forgetIdentity();
}
