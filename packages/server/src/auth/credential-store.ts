import type { PrincipalKind, UserRole } from "@agentboard/protocol";
import type { Kysely } from "kysely";
import type { Database } from "../storage/schema.js";
import type { Principal } from "./principal.js";
import { generateSecret, hashSecret, newId, type SecretKind } from "./secrets.js";

export interface Workspace {
  id: string;
  name: string;
}

/** An API token or session as `GET /api/tokens` lists it (see TokenListItemSchema). */
export interface TokenRecord {
  id: string;
  tokenKind: "api" | "session";
  principalId: string;
  kind: PrincipalKind;
  name: string;
  role?: UserRole;
  createdAt: string;
  expiresAt?: string;
  lastUsedAt?: string;
}

/** Which credential a revocation hit (the open sockets it authenticated are found by `id`). */
export interface RevokedCredential {
  id: string;
  principalId: string;
  workspaceId: string;
}

/** `last_used_at` is written at most this often per credential (one write a minute, not one a request). */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Tokens, sessions and login codes (the `tokens` table): issuing, resolving, listing and revoking them. Only a
 * secret's SHA-256 is stored; every lookup goes by that digest or by a credential id within a workspace.
 * IdentityStore adds workspaces and principals on top.
 */
export class CredentialStore {
  constructor(
    protected readonly db: Kysely<Database>,
    protected readonly now: () => Date = () => new Date(),
  ) {}

  async issueSecret(
    principal: Principal,
    kind: SecretKind,
    ttlMs?: number,
  ): Promise<{ secret: string; expiresAt: string | null }> {
    const secret = generateSecret(kind);
    const now = this.now();
    const expiresAt = ttlMs === undefined ? null : new Date(now.getTime() + ttlMs).toISOString();
    await this.db
      .insertInto("tokens")
      .values({
        id: newId("tok"),
        token_hash: hashSecret(secret),
        kind,
        principal_id: principal.id,
        workspace_id: principal.workspaceId,
        created_at: now.toISOString(),
        expires_at: expiresAt,
        used_at: null,
        revoked_at: null,
        last_used_at: null,
      })
      .execute();
    return { secret, expiresAt };
  }

  /** A credential row with its principal and workspace: what resolving a secret or a credential id reads. */
  private credentialWithPrincipal() {
    return this.db
      .selectFrom("tokens")
      .innerJoin("principals", "principals.id", "tokens.principal_id")
      .innerJoin("workspaces", "workspaces.id", "tokens.workspace_id")
      .select([
        "tokens.id as token_id",
        "tokens.kind as token_kind",
        "tokens.expires_at",
        "tokens.revoked_at",
        "tokens.used_at",
        "tokens.last_used_at",
        "principals.id",
        "principals.workspace_id",
        "principals.kind",
        "principals.name",
        "principals.role",
        "principals.scopes",
        "principals.created_at",
        "workspaces.name as workspace_name",
      ]);
  }

  /** The principal a live (not revoked, not expired) secret of one of `kinds` belongs to, or null. */
  async resolveSecret(secret: string, kinds: readonly SecretKind[]): Promise<Principal | null> {
    const row = await this.credentialWithPrincipal()
      .where("tokens.token_hash", "=", hashSecret(secret))
      .executeTakeFirst();
    if (!row || !kinds.includes(row.token_kind) || row.revoked_at) return null;
    if (row.expires_at && row.expires_at <= this.now().toISOString()) return null;
    if (row.token_kind === "login_code" && row.used_at) return null;
    if (row.token_kind !== "login_code") await this.touch(row.token_id, row.last_used_at);
    return {
      ...toPrincipal(row, { id: row.workspace_id, name: row.workspace_name }),
      credentialId: row.token_id,
    };
  }

  /**
   * Records that a token or session authenticated a request, at most once a minute per credential, so
   * `GET /api/tokens` can say when it was last used without a write per request. Best effort: a failed
   * write (the store is busy) never fails the request it would have recorded.
   */
  private async touch(tokenId: string, lastUsedAt: string | null): Promise<void> {
    const now = this.now();
    if (lastUsedAt && now.getTime() - Date.parse(lastUsedAt) < LAST_USED_RESOLUTION_MS) return;
    await this.db
      .updateTable("tokens")
      .set({ last_used_at: now.toISOString() })
      .where("id", "=", tokenId)
      .execute()
      .catch(() => {});
  }

  /**
   * The principal a live API token or session (by its row id) belongs to, read afresh: null once the
   * credential is revoked or expired or its principal removed. A realtime ticket names the credential it was
   * issued for and is re-resolved here when used, so a revocation voids unused tickets and a role change
   * reaches the next socket.
   */
  async resolveCredential(credentialId: string): Promise<Principal | null> {
    const row = await this.credentialWithPrincipal().where("tokens.id", "=", credentialId).executeTakeFirst();
    if (!row || row.token_kind === "login_code" || row.revoked_at) return null;
    if (row.expires_at && row.expires_at <= this.now().toISOString()) return null;
    return {
      ...toPrincipal(row, { id: row.workspace_id, name: row.workspace_name }),
      credentialId,
    };
  }

  /**
   * The live API tokens and sessions of a workspace (or of one principal in it), oldest first; never login
   * codes, never a secret or its digest.
   */
  async listTokens(workspaceId: string, principalId?: string): Promise<TokenRecord[]> {
    let query = this.db
      .selectFrom("tokens")
      .innerJoin("principals", "principals.id", "tokens.principal_id")
      .select([
        "tokens.id",
        "tokens.kind as token_kind",
        "tokens.created_at",
        "tokens.expires_at",
        "tokens.last_used_at",
        "principals.id as principal_id",
        "principals.kind",
        "principals.name",
        "principals.role",
      ])
      .where("tokens.workspace_id", "=", workspaceId)
      .where("tokens.kind", "in", ["api", "session"])
      .where("tokens.revoked_at", "is", null)
      .where((eb) =>
        eb.or([eb("tokens.expires_at", "is", null), eb("tokens.expires_at", ">", this.now().toISOString())]),
      );
    if (principalId !== undefined) query = query.where("tokens.principal_id", "=", principalId);
    const rows = await query.orderBy("tokens.created_at", "asc").orderBy("tokens.id", "asc").execute();
    return rows.map((row) => ({
      id: row.id,
      tokenKind: row.token_kind as "api" | "session",
      principalId: row.principal_id,
      kind: row.kind as PrincipalKind,
      name: row.name,
      ...(row.role ? { role: row.role as UserRole } : {}),
      createdAt: row.created_at,
      ...(row.expires_at ? { expiresAt: row.expires_at } : {}),
      ...(row.last_used_at ? { lastUsedAt: row.last_used_at } : {}),
    }));
  }

  /**
   * Revokes an API token or session by id, within `scope` (a workspace; one principal's). Null when there
   * is no such credential there; revoking one already revoked answers it again (DELETE is
   * idempotent) without moving its revocation time.
   */
  async revokeToken(
    tokenId: string,
    scope: { workspaceId?: string; principalId?: string },
  ): Promise<RevokedCredential | null> {
    let query = this.db
      .selectFrom("tokens")
      .select(["id", "principal_id", "workspace_id"])
      .where("id", "=", tokenId)
      .where("kind", "in", ["api", "session"]);
    if (scope.workspaceId !== undefined) query = query.where("workspace_id", "=", scope.workspaceId);
    if (scope.principalId !== undefined) query = query.where("principal_id", "=", scope.principalId);
    const row = await query.executeTakeFirst();
    if (!row) return null;
    await this.db
      .updateTable("tokens")
      .set({ revoked_at: this.now().toISOString() })
      .where("id", "=", tokenId)
      .where("revoked_at", "is", null)
      .execute();
    return { id: row.id, principalId: row.principal_id, workspaceId: row.workspace_id };
  }

  /** Tokens and sessions revoked after `since` (ISO time), oldest first: what the embedded server polls. */
  async revokedSince(
    since: string,
    limit = 1_000,
  ): Promise<Array<RevokedCredential & { revokedAt: string }>> {
    const rows = await this.db
      .selectFrom("tokens")
      .select(["id", "principal_id", "workspace_id", "revoked_at"])
      .where("revoked_at", ">", since)
      .orderBy("revoked_at", "asc")
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      id: row.id,
      principalId: row.principal_id,
      workspaceId: row.workspace_id,
      revokedAt: row.revoked_at as string,
    }));
  }

  /** Single use: the first caller to mark the code used wins; a replay gets null. */
  async consumeLoginCode(code: string): Promise<Principal | null> {
    const principal = await this.resolveSecret(code, ["login_code"]);
    if (!principal) return null;
    const result = await this.db
      .updateTable("tokens")
      .set({ used_at: this.now().toISOString() })
      .where("token_hash", "=", hashSecret(code))
      .where("used_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1 ? principal : null;
  }

  /** Revokes a secret (sign-out); answers which credential it was, or null for an unknown secret. */
  async revokeSecret(secret: string): Promise<RevokedCredential | null> {
    const row = await this.db
      .selectFrom("tokens")
      .select(["id", "principal_id", "workspace_id"])
      .where("token_hash", "=", hashSecret(secret))
      .executeTakeFirst();
    if (!row) return null;
    await this.db
      .updateTable("tokens")
      .set({ revoked_at: this.now().toISOString() })
      .where("id", "=", row.id)
      .where("revoked_at", "is", null)
      .execute();
    return { id: row.id, principalId: row.principal_id, workspaceId: row.workspace_id };
  }
}

/** A principal row (joined with its workspace) as the Principal the app works with. */
export function toPrincipal(
  row: { id: string; kind: string; name: string; role: string | null; scopes: string | null },
  workspace: Workspace,
): Principal {
  const principal: Principal = {
    kind: row.kind as PrincipalKind,
    id: row.id,
    name: row.name,
    workspaceId: workspace.id,
    workspaceName: workspace.name,
  };
  if (row.role) principal.role = row.role as UserRole;
  if (row.scopes) principal.scopes = JSON.parse(row.scopes) as string[];
  return principal;
}
