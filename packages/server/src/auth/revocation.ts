import type { UserRole } from "@agentboard/protocol";
import { forbidden, notFound } from "../errors/agentboard-errors.js";
import type { EventBus } from "../events/event-bus.js";
import type { IdentityStore, RevokedCredential, WorkspacePrincipal } from "./identity-store.js";
import { hasRole, type Principal } from "./principal.js";
import { type RevocationEvent, revocationTopic } from "./revocation-topic.js";

/**
 * Everything that takes credentials or rights away — sign-out, token revocation, a role change, a removal —
 * writes the store first and then announces it on the bus (`revocation`), which every node follows: open
 * sockets that the credential or principal authenticated are closed with 4401 and their approval
 * long-polls end with 401 (see RevocationWatch). Unused realtime tickets need no announcement: a ticket is
 * re-resolved from the store when it is used.
 */
export class Revocations {
  constructor(
    private readonly identity: IdentityStore,
    private readonly bus: EventBus,
  ) {
    bus.topics.register(revocationTopic);
  }

  /** `DELETE /api/auth/session`: revokes the session secret from the cookie (unknown secrets: nothing). */
  async signOut(secret: string): Promise<void> {
    const revoked = await this.identity.revokeSecret(secret);
    if (revoked) this.announceCredentials([revoked]);
  }

  /**
   * `DELETE /api/tokens/:id`: owners and admins revoke any token or session of their workspace, everyone
   * else only their own. Someone else's token, for a caller who may not see it, is `not_found` like a token
   * of another workspace: ids are never confirmed to those who cannot act on them.
   */
  async revokeToken(actor: Principal, tokenId: string): Promise<void> {
    const onlyOwn = hasRole(actor, "admin") ? undefined : actor.id;
    const revoked = await this.identity.revokeToken(tokenId, {
      workspaceId: actor.workspaceId,
      principalId: onlyOwn,
    });
    if (!revoked) throw notFound("no such token");
    this.announceCredentials([revoked]);
  }

  /** `agentboard token revoke <id>`: the operator may revoke any token, of any workspace unless given one. */
  async revokeTokenAsOperator(tokenId: string, workspaceId?: string): Promise<RevokedCredential | null> {
    const revoked = await this.identity.revokeToken(tokenId, { workspaceId });
    if (revoked) this.announceCredentials([revoked]);
    return revoked;
  }

  /**
   * `PATCH /api/members/:id {role}`: owners and admins; only an owner grants or takes the owner role. The
   * member's open sockets close (4401): their next ticket carries the new role.
   */
  async setRole(actor: Principal, principalId: string, role: UserRole): Promise<WorkspacePrincipal> {
    assertMayManageMembers(actor);
    if (role === "owner" && !hasRole(actor, "owner")) throw forbidden("only an owner can make someone owner");
    const current = await this.identity.setRole(actor.workspaceId, principalId, role, (target) => {
      if (target.role === "owner" && !hasRole(actor, "owner"))
        throw forbidden("only an owner can change an owner's role");
    });
    this.bus.publish("revocation", { workspaceId: actor.workspaceId, principalId, role });
    return current;
  }

  /** `DELETE /api/members/:id`: as setRole's rules; the principal's tokens and sessions go with it. */
  async removeMember(actor: Principal, principalId: string): Promise<void> {
    assertMayManageMembers(actor);
    await this.identity.removePrincipal(actor.workspaceId, principalId, (target) => {
      if (target.role === "owner" && !hasRole(actor, "owner"))
        throw forbidden("only an owner can remove an owner");
    });
    this.bus.publish("revocation", { workspaceId: actor.workspaceId, principalId });
  }

  private announceCredentials(revoked: RevokedCredential[]): void {
    const byWorkspace = new Map<string, string[]>();
    for (const { id, workspaceId } of revoked) {
      const ids = byWorkspace.get(workspaceId) ?? [];
      ids.push(id);
      byWorkspace.set(workspaceId, ids);
    }
    for (const [workspaceId, credentialIds] of byWorkspace)
      this.bus.publish("revocation", { workspaceId, credentialIds });
  }
}

function assertMayManageMembers(actor: Principal): void {
  if (!hasRole(actor, "admin")) throw forbidden("only owners and admins manage members");
}

/** How long a revocation is remembered for sockets whose credentials were checked just before it arrived. */
const RECENT_MS = 10_000;

interface Watcher {
  principal: Principal;
  listener: () => void;
}

/**
 * Per node: who is holding something open (a socket, a long-poll) on which credential, and a call when a
 * `revocation` event hits it. Lookups are by credential id and by principal id, so an event costs what it
 * hits, not the number of open sockets.
 *
 * A socket is authenticated (a store read) a moment before it is watched; a revocation committed after that
 * read whose event arrived before the watch would be missed. So events are remembered for a few seconds and
 * `watch` takes the time the credential was checked: an event that arrived since then fires at once.
 */
export class RevocationWatch {
  private readonly byCredential = new Map<string, Set<Watcher>>();
  private readonly byPrincipal = new Map<string, Set<Watcher>>();
  private recent: Array<{ at: number; event: RevocationEvent }> = [];
  private readonly unsubscribe: () => void;

  constructor(
    bus: EventBus,
    private readonly now: () => number = () => performance.now(),
  ) {
    bus.topics.register(revocationTopic);
    this.unsubscribe = bus.subscribe("revocation", (event) => this.onEvent(event));
  }

  /**
   * Calls `listener` once (synchronously, if it already happened) when `principal`'s credential is revoked
   * or the principal is removed or changes role, as announced after `checkedAt` (this node's `now()` when
   * the credential was read). Returns the function that stops watching; call it when the socket closes.
   */
  watch(principal: Principal, checkedAt: number, listener: () => void): () => void {
    for (const { at, event } of this.recent) {
      if (at >= checkedAt && hits(event, principal)) {
        listener();
        return () => {};
      }
    }
    const watcher: Watcher = { principal, listener };
    if (principal.credentialId) add(this.byCredential, principal.credentialId, watcher);
    add(this.byPrincipal, principal.id, watcher);
    return () => this.forget(watcher);
  }

  /** Watchers registered (leak checks in tests). */
  get size(): number {
    let n = 0;
    for (const set of this.byPrincipal.values()) n += set.size;
    return n;
  }

  close(): void {
    this.unsubscribe();
    this.byCredential.clear();
    this.byPrincipal.clear();
    this.recent = [];
  }

  private onEvent(event: RevocationEvent): void {
    const at = this.now();
    this.recent = this.recent.filter((entry) => at - entry.at < RECENT_MS);
    this.recent.push({ at, event });
    const candidates = new Set<Watcher>();
    for (const id of event.credentialIds ?? [])
      for (const w of this.byCredential.get(id) ?? []) candidates.add(w);
    if (event.principalId) for (const w of this.byPrincipal.get(event.principalId) ?? []) candidates.add(w);
    for (const watcher of candidates) {
      if (!hits(event, watcher.principal)) continue;
      this.forget(watcher);
      watcher.listener();
    }
  }

  private forget(watcher: Watcher): void {
    const { principal } = watcher;
    if (principal.credentialId) remove(this.byCredential, principal.credentialId, watcher);
    remove(this.byPrincipal, principal.id, watcher);
  }
}

/**
 * Whether the event takes something from this principal: its credential was revoked, or it was removed,
 * or its role changed to one it does not hold (a principal read after the change already has the new role).
 */
function hits(event: RevocationEvent, principal: Principal): boolean {
  if (event.workspaceId !== principal.workspaceId) return false;
  if (principal.credentialId && event.credentialIds?.includes(principal.credentialId)) return true;
  if (event.principalId !== principal.id) return false;
  return event.role === undefined || event.role !== principal.role;
}

function add(map: Map<string, Set<Watcher>>, key: string, watcher: Watcher): void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(watcher);
}

function remove(map: Map<string, Set<Watcher>>, key: string, watcher: Watcher): void {
  const set = map.get(key);
  set?.delete(watcher);
  if (set?.size === 0) map.delete(key);
}
