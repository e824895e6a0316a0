import type { PrincipalKind, UserRole } from "@agentboard/protocol";
import type { Kysely } from "kysely";
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

/** Workspaces, principals and their tokens. Every lookup goes by token digest or is scoped by workspace. */
export class IdentityStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => Date = () => new Date(),
  ) {}

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
        "tokens.kind as token_kind",
        "tokens.expires_at",
        "tokens.revoked_at",
        "tokens.used_at",
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
    return toPrincipal(row, { id: row.workspace_id, name: row.workspace_name });
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

  async revokeSecret(secret: string): Promise<void> {
    await this.db
      .updateTable("tokens")
      .set({ revoked_at: this.now().toISOString() })
      .where("token_hash", "=", hashSecret(secret))
      .where("revoked_at", "is", null)
      .execute();
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
