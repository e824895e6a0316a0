import type { Identity } from "./session-store";

/**
 * Who was signed in on this device last, so the cached dashboard can be opened while the server is down.
 * Not a secret (ids and names); the session itself is an httpOnly cookie. Removed on sign-out.
 */
const KEY = "agentboard:last-identity";

export function rememberIdentity(identity: Identity): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(identity));
  } catch {
    // storage full or blocked: offline start will just not know the user
  }
}

export function lastIdentity(): Identity | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const value = JSON.parse(raw) as Partial<Identity>;
    if (typeof value.userId !== "string" || typeof value.workspaceId !== "string") return null;
    return {
      userId: value.userId,
      workspaceId: value.workspaceId,
      name: String(value.name ?? ""),
      workspaceName: String(value.workspaceName ?? ""),
      ...(typeof value.role === "string" ? { role: value.role } : {}),
    };
  } catch {
    return null;
  }
}

export function forgetIdentity(): void {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // nothing to do
  }
}
