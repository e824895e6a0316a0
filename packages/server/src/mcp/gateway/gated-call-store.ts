import type { CallToolResult } from "@modelcontextprotocol/client";
import type { Kysely } from "kysely";
import type { Database } from "../../storage/schema.js";

/**
 * `awaiting`: created, not run (waiting for the decision, or approved and not yet claimed).
 * `running`: a node claimed it and is calling the upstream. `done`: ran; `result` holds what it returned.
 * `refused`: the approval ended rejected, cancelled or expired; it never runs.
 */
export type GatedCallState = "awaiting" | "running" | "done" | "refused";

interface McpToolCallsTable {
  approval_id: string;
  workspace_id: string;
  principal_id: string;
  tool: string;
  call_key: string;
  state: GatedCallState;
  result: string | null;
  claimed_by: string | null;
  claimed_at: string | null;
  created_at: string;
  finished_at: string | null;
}

export interface GatedCallRow {
  approvalId: string;
  state: GatedCallState;
  result?: CallToolResult;
  claimedBy?: string;
  claimedAt?: string;
  finishedAt?: string;
}

type Db = Kysely<Database & { mcp_tool_calls: McpToolCallsTable }>;

function toRow(row: McpToolCallsTable): GatedCallRow {
  return {
    approvalId: row.approval_id,
    state: row.state,
    ...(row.result !== null ? { result: JSON.parse(row.result) as CallToolResult } : {}),
    ...(row.claimed_by !== null ? { claimedBy: row.claimed_by } : {}),
    ...(row.claimed_at !== null ? { claimedAt: row.claimed_at } : {}),
    ...(row.finished_at !== null ? { finishedAt: row.finished_at } : {}),
  };
}

/**
 * The durable record of gated calls (SQLite embedded, PostgreSQL in cluster mode: one Kysely path). Every
 * state change is a compare-and-set on `state`, so two nodes (or two retries on one node) never both run
 * the same approved call.
 */
export class GatedCallStore {
  private readonly db: Db;

  constructor(db: Kysely<Database>) {
    this.db = db as unknown as Db;
  }

  /** Records the call of an approval once; a second insert for the same approval changes nothing. */
  async ensure(input: {
    approvalId: string;
    workspaceId: string;
    principalId: string;
    tool: string;
    callKey: string;
    at: string;
  }): Promise<GatedCallRow> {
    await this.db
      .insertInto("mcp_tool_calls")
      .values({
        approval_id: input.approvalId,
        workspace_id: input.workspaceId,
        principal_id: input.principalId,
        tool: input.tool,
        call_key: input.callKey,
        state: "awaiting",
        result: null,
        claimed_by: null,
        claimed_at: null,
        created_at: input.at,
        finished_at: null,
      })
      .onConflict((oc) => oc.column("approval_id").doNothing())
      .execute();
    const row = await this.get(input.approvalId);
    if (!row) throw new Error(`gated call ${input.approvalId} vanished after insert`);
    return row;
  }

  async get(approvalId: string): Promise<GatedCallRow | undefined> {
    const row = await this.db
      .selectFrom("mcp_tool_calls")
      .selectAll()
      .where("approval_id", "=", approvalId)
      .executeTakeFirst();
    return row ? toRow(row) : undefined;
  }

  /**
   * How many earlier calls with this key are over and older than `before`: a call without a client key is
   * joined by identical calls until then, and after that an identical call is a new one (the next
   * generation), so every node derives the same approval key for it.
   */
  async closedBefore(workspaceId: string, callKey: string, before: string): Promise<number> {
    const row = await this.db
      .selectFrom("mcp_tool_calls")
      .select((eb) => eb.fn.countAll<number | string>().as("n"))
      .where("workspace_id", "=", workspaceId)
      .where("call_key", "=", callKey)
      .where("state", "in", ["done", "refused"])
      .where("finished_at", "<", before)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** `awaiting` → `running` for this node; true if this node won and must run the call. */
  async claim(approvalId: string, node: string, at: string): Promise<boolean> {
    return this.move(approvalId, "awaiting", { state: "running", claimed_by: node, claimed_at: at });
  }

  /** `running` (claimed by `node`) → `done` with the result. */
  async finish(approvalId: string, node: string, result: CallToolResult, at: string): Promise<void> {
    const done = { state: "done", result: JSON.stringify(result), finished_at: at } as const;
    await this.move(approvalId, "running", done, { column: "claimed_by", is: node });
  }

  /** `running` → `awaiting`: the call never reached the server (it was down), so it may run later. */
  async release(approvalId: string, node: string): Promise<void> {
    const awaiting = { state: "awaiting", claimed_by: null, claimed_at: null } as const;
    await this.move(approvalId, "running", awaiting, { column: "claimed_by", is: node });
  }

  /** `awaiting` → `refused` (the approval did not end approved). */
  async refuse(approvalId: string, at: string): Promise<void> {
    await this.move(approvalId, "awaiting", { state: "refused", finished_at: at });
  }

  /** `running` → `done` with `result`, whoever claimed it: the claimer vanished, its outcome is unknown. */
  async abandon(approvalId: string, claimedAt: string, result: CallToolResult, at: string): Promise<void> {
    const done = { state: "done", result: JSON.stringify(result), finished_at: at } as const;
    await this.move(approvalId, "running", done, { column: "claimed_at", is: claimedAt });
  }

  /**
   * The compare-and-set behind every state change: `set` is written only while the call is still in state
   * `from` (and, when given, still claimed by that node or at that time). True if it was.
   */
  private async move(
    approvalId: string,
    from: GatedCallState,
    set: Partial<McpToolCallsTable>,
    claim?: { column: "claimed_by" | "claimed_at"; is: string },
  ): Promise<boolean> {
    let update = this.db
      .updateTable("mcp_tool_calls")
      .set(set)
      .where("approval_id", "=", approvalId)
      .where("state", "=", from);
    if (claim) update = update.where(claim.column, "=", claim.is);
    const result = await update.executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }
}
