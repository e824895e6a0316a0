import type { PrincipalKind, UserRole } from "@agentboard/protocol";
import type { Kysely, Transaction } from "kysely";
import { conflict, invalid, notFound } from "../errors/agentboard-errors.js";
import type { Database } from "../storage/schema.js";
import type { Principal } from "./principal.js";
import { generateSecret, hashSecret, newId, type SecretKind } from "./secrets.js";

export interface Workspace {
  id: string;
  name: string;
}

/** A principal as the workspace's directory shows it (`GET /api/members`): no scopes, no tokens. */
export interface WorkspacePrincipal {
  id: string;
  kind: PrincipalKind;
  name: string;
  role?: UserRole;
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

/** Workspaces, principals and their tokens. Every lookup goes by token digest or is scoped by workspace. */
export class IdentityStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The workspace of this name, without creating it. */
  async findWorkspace(name: string): Promise<Workspace | null> {
    const row = await this.db
      .selectFrom("workspaces")
      .select(["id", "name"])
      .where("name", "=", name)
      .executeTakeFirst();
    return row ?? null;
  }

  async ensureWorkspace(name: string): Promise<Workspace> {
    const existing = await this.db
      .selectFrom("workspaces")
      .select(["id", "name"])
      .where("name", "=", name)
      .executeTakeFirst();
    if (existing) return existing;
    const row = { id: newId("ws"), name, created_at: this.now().toISOString() };
    await this.db
      .insertInto("workspaces")
      .values(row)
      .onConflict((oc) => oc.column("name").doNothing())
      .execute();
    return await this.db
      .selectFrom("workspaces")
      .select(["id", "name"])
      .where("name", "=", name)
      .executeTakeFirstOrThrow();
  }

  /** Finds or creates a principal by (workspace, kind, name); an existing user's role is left as it is. */
  async ensurePrincipal(input: {
    workspace: Workspace;
    kind: PrincipalKind;
    name: string;
    role?: UserRole;
    scopes?: string[];
  }): Promise<Principal> {
    const { workspace, kind, name } = input;
    const find = () =>
      this.db
        .selectFrom("principals")
        .selectAll()
        .where("workspace_id", "=", workspace.id)
        .where("kind", "=", kind)
        .where("name", "=", name)
        .executeTakeFirst();
    let row = await find();
    if (!row) {
      await this.db
        .insertInto("principals")
        .values({
          id: newId(kind === "user" ? "usr" : "agt"),
          workspace_id: workspace.id,
          kind,
          name,
          role: kind === "user" ? (input.role ?? "member") : null,
          scopes: kind === "agent" ? JSON.stringify(input.scopes ?? []) : null,
          created_at: this.now().toISOString(),
        })
        .onConflict((oc) => oc.columns(["workspace_id", "kind", "name"]).doNothing())
        .execute();
      row = await find();
    }
    if (!row) throw new Error(`could not create ${kind} ${name}`);
    return toPrincipal(row, workspace);
  }

  /** Whether a user with this id exists in the workspace (personal dashboards exist only for real users). */
  async userExists(workspaceId: string, userId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom("principals")
      .select("id")
      .where("workspace_id", "=", workspaceId)
      .where("id", "=", userId)
      .where("kind", "=", "user")
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * Every principal of the workspace: users first, then agents, each by name then id. Sorted here rather
   * than in SQL because SQLite and PostgreSQL collate text differently, and the order must be the same in
   * both modes. Unbounded on purpose: a workspace has as many principals as someone created by hand.
   */
  async listPrincipals(workspaceId: string): Promise<WorkspacePrincipal[]> {
    const rows = await this.db
      .selectFrom("principals")
      .select(["id", "kind", "name", "role"])
      .where("workspace_id", "=", workspaceId)
      .execute();
    const rank = (kind: string) => (kind === "user" ? 0 : 1);
    const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    rows.sort(
      (a, b) => rank(a.kind) - rank(b.kind) || byCodeUnits(a.name, b.name) || byCodeUnits(a.id, b.id),
    );
    return rows.map((row) => ({
      id: row.id,
      kind: row.kind as PrincipalKind,
      name: row.name,
      ...(row.role ? { role: row.role as UserRole } : {}),
    }));
  }

  async countOwners(): Promise<number> {
    const row = await this.db
      .selectFrom("principals")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("kind", "=", "user")
      .where("role", "=", "owner")
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async findFirstOwner(workspace: Workspace): Promise<Principal | null> {
    const row = await this.db
      .selectFrom("principals")
      .selectAll()
      .where("workspace_id", "=", workspace.id)
      .where("kind", "=", "user")
      .where("role", "=", "owner")
      .orderBy("created_at", "asc")
      .executeTakeFirst();
    return row ? toPrincipal(row, workspace) : null;
  }

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

  /** The principal a live (not revoked, not expired) secret of one of `kinds` belongs to, or null. */
  async resolveSecret(secret: string, kinds: readonly SecretKind[]): Promise<Principal | null> {
    const row = await this.db
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
      ])
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
    const row = await this.db
      .selectFrom("tokens")
      .innerJoin("principals", "principals.id", "tokens.principal_id")
      .innerJoin("workspaces", "workspaces.id", "tokens.workspace_id")
      .select([
        "tokens.kind as token_kind",
        "tokens.expires_at",
        "tokens.revoked_at",
        "principals.id",
        "principals.workspace_id",
        "principals.kind",
        "principals.name",
        "principals.role",
        "principals.scopes",
        "workspaces.name as workspace_name",
      ])
      .where("tokens.id", "=", credentialId)
      .executeTakeFirst();
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

  /**
   * Changes a user's role. The workspace row is locked first (a no-op update: portable between SQLite and
   * PostgreSQL), so two owners demoting each other at the same time cannot leave the workspace without one.
   * Throws not_found (no such principal in the workspace), invalid (agents have no role) or conflict (the
   * last owner would be demoted).
   */
  async setRole(
    workspaceId: string,
    principalId: string,
    role: UserRole,
    /** The caller's rules about this target (it may throw); runs under the lock, before any change. */
    check: (target: WorkspacePrincipal) => void = () => {},
  ): Promise<WorkspacePrincipal> {
    return this.db.transaction().execute(async (trx) => {
      await lockWorkspace(trx, workspaceId);
      const target = await findMember(trx, workspaceId, principalId);
      if (target.kind !== "user") throw invalid("agents have no role; they have scopes");
      check(target);
      if (target.role === "owner" && role !== "owner")
        await assertAnotherOwner(trx, workspaceId, principalId);
      await trx.updateTable("principals").set({ role }).where("id", "=", principalId).execute();
      return { id: target.id, kind: "user", name: target.name, role };
    });
  }

  /**
   * Removes a principal and every credential it holds (tokens, sessions, login codes), in one transaction
   * under the workspace lock: the last owner cannot be removed (conflict). Returns who was removed; its open
   * sockets are found by principal id.
   */
  async removePrincipal(
    workspaceId: string,
    principalId: string,
    check: (target: WorkspacePrincipal) => void = () => {},
  ): Promise<WorkspacePrincipal> {
    return this.db.transaction().execute(async (trx) => {
      await lockWorkspace(trx, workspaceId);
      const target = await findMember(trx, workspaceId, principalId);
      check(target);
      if (target.kind === "user" && target.role === "owner")
        await assertAnotherOwner(trx, workspaceId, principalId);
      await trx.deleteFrom("tokens").where("principal_id", "=", principalId).execute();
      await trx.deleteFrom("principals").where("id", "=", principalId).execute();
      return target;
    });
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

  async ping(): Promise<void> {
    await this.db.selectFrom("workspaces").select("id").limit(1).execute();
  }
}

function toPrincipal(
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

/** Takes the workspace's row lock (a no-op update) until the transaction ends; SQLite locks the file. */
async function lockWorkspace(trx: Transaction<Database>, workspaceId: string): Promise<void> {
  await trx
    .updateTable("workspaces")
    .set((eb) => ({ name: eb.ref("name") }))
    .where("id", "=", workspaceId)
    .execute();
}

async function findMember(
  trx: Transaction<Database>,
  workspaceId: string,
  principalId: string,
): Promise<WorkspacePrincipal> {
  const row = await trx
    .selectFrom("principals")
    .select(["id", "kind", "name", "role"])
    .where("workspace_id", "=", workspaceId)
    .where("id", "=", principalId)
    .executeTakeFirst();
  if (!row) throw notFound("no such member in this workspace");
  return {
    id: row.id,
    kind: row.kind as PrincipalKind,
    name: row.name,
    ...(row.role ? { role: row.role as UserRole } : {}),
  };
}

async function assertAnotherOwner(
  trx: Transaction<Database>,
  workspaceId: string,
  principalId: string,
): Promise<void> {
  const other = await trx
    .selectFrom("principals")
    .select("id")
    .where("workspace_id", "=", workspaceId)
    .where("kind", "=", "user")
    .where("role", "=", "owner")
    .where("id", "!=", principalId)
    .limit(1)
    .executeTakeFirst();
  if (!other)
    throw conflict("a workspace keeps at least one owner: make someone else owner first", {
      reason: "last_owner",
    });
}
