import type { PrincipalKind, UserRole } from "@agentboard/protocol";
import type { Transaction } from "kysely";
import { conflict, invalid, notFound } from "../errors/agentboard-errors.js";
import type { Database } from "../storage/schema.js";
import { CredentialStore, toPrincipal, type Workspace } from "./credential-store.js";
import type { Principal } from "./principal.js";
import { newId } from "./secrets.js";

export type { RevokedCredential, TokenRecord, Workspace } from "./credential-store.js";

/** A principal as the workspace's directory shows it (`GET /api/members`): no scopes, no tokens. */
export interface WorkspacePrincipal {
  id: string;
  kind: PrincipalKind;
  name: string;
  role?: UserRole;
  /** Agents: the display name of their card, when an admin gave one. */
  displayName?: string;
}

/**
 * Workspaces and principals, with their credentials (CredentialStore). Every lookup goes by token digest or
 * is scoped by workspace.
 */
export class IdentityStore extends CredentialStore {
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
    // An agent's card (the agent directory, issue 16) may carry the display name an admin gave it.
    const rows = await this.db
      .selectFrom("principals")
      .leftJoin("agents", (join) =>
        join
          .onRef("agents.id", "=", "principals.id")
          .onRef("agents.workspace_id", "=", "principals.workspace_id"),
      )
      .select([
        "principals.id",
        "principals.kind",
        "principals.name",
        "principals.role",
        "agents.display_name",
      ])
      .where("principals.workspace_id", "=", workspaceId)
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
      ...(row.display_name ? { displayName: row.display_name } : {}),
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
    const rules = {
      check: (target: WorkspacePrincipal) => {
        if (target.kind !== "user") throw invalid("agents have no role; they have scopes");
        check(target);
      },
      endsOwnership: (target: WorkspacePrincipal) => target.role === "owner" && role !== "owner",
    };
    return this.changeMember(workspaceId, principalId, rules, async (trx, target) => {
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
    const rules = {
      check,
      endsOwnership: (target: WorkspacePrincipal) => target.kind === "user" && target.role === "owner",
    };
    return this.changeMember(workspaceId, principalId, rules, async (trx, target) => {
      await trx.deleteFrom("tokens").where("principal_id", "=", principalId).execute();
      await trx.deleteFrom("principals").where("id", "=", principalId).execute();
      return target;
    });
  }

  /**
   * One change to a member in one transaction under the workspace lock: finds it (not_found), runs `check`
   * (it may throw), refuses a change that `endsOwnership` of the last owner (conflict), then `apply`s it.
   */
  private changeMember(
    workspaceId: string,
    principalId: string,
    rules: {
      check: (target: WorkspacePrincipal) => void;
      endsOwnership: (target: WorkspacePrincipal) => boolean;
    },
    apply: (trx: Transaction<Database>, target: WorkspacePrincipal) => Promise<WorkspacePrincipal>,
  ): Promise<WorkspacePrincipal> {
    return this.db.transaction().execute(async (trx) => {
      await lockWorkspace(trx, workspaceId);
      const target = await findMember(trx, workspaceId, principalId);
      rules.check(target);
      if (rules.endsOwnership(target)) await assertAnotherOwner(trx, workspaceId, principalId);
      return apply(trx, target);
    });
  }

  async ping(): Promise<void> {
    await this.db.selectFrom("workspaces").select("id").limit(1).execute();
  }
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
