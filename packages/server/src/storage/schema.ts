import type { Generated } from "kysely";

/** Tables of the relational store (SQLite embedded; the same schema on PostgreSQL in cluster mode). */
export interface WorkspacesTable {
  id: string;
  name: string;
  created_at: string;
}

export interface PrincipalsTable {
  id: string;
  workspace_id: string;
  kind: "user" | "agent";
  name: string;
  /** Users only: owner | admin | member | viewer. */
  role: string | null;
  /** Agents only: JSON array of scopes. */
  scopes: string | null;
  created_at: string;
}

export interface TokensTable {
  id: string;
  /** SHA-256 hex of the secret; the secret itself is never stored. */
  token_hash: string;
  kind: "api" | "session" | "login_code";
  principal_id: string;
  workspace_id: string;
  created_at: string;
  expires_at: string | null;
  used_at: string | null;
  revoked_at: string | null;
}

export interface DashboardsTable {
  workspace_id: string;
  dashboard_id: string;
  rev: number;
  schema_version: number;
  state: string;
  updated_at: string;
}

export interface DashboardPatchesTable {
  workspace_id: string;
  dashboard_id: string;
  rev: number;
  ops: string;
  paths: string;
  client_id: string | null;
  mutation_id: string | null;
  origin: string;
  created_at: string;
}

export interface DashboardMutationsTable {
  workspace_id: string;
  dashboard_id: string;
  client_id: string;
  mutation_id: string;
  rev: number;
  created_at: string;
}

export interface SchemaMigrationsTable {
  name: string;
  applied_at: Generated<string>;
}

export interface Database {
  workspaces: WorkspacesTable;
  principals: PrincipalsTable;
  tokens: TokensTable;
  dashboards: DashboardsTable;
  dashboard_patches: DashboardPatchesTable;
  dashboard_mutations: DashboardMutationsTable;
}
