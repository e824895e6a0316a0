import { type ListTasksRequest, type ListTasksResponse, Task, TaskState, taskStateToJSON } from "@a2a-js/sdk";
import type { ServerCallContext, TaskStore, User } from "@a2a-js/sdk/server";
import type { Kysely } from "kysely";
import type { Principal } from "../auth/principal.js";
import type { Database } from "../storage/schema.js";

interface A2aTasksTable {
  owner: string;
  id: string;
  workspace_id: string;
  owner_kind: string;
  approval_id: string | null;
  state: string;
  task: string;
  updated_at: string;
}

type Db = Kysely<Database & { a2a_tasks: A2aTasksTable }>;

/** The A2A `User` of a call to `/a2a`: the principal its bearer token resolved to. */
export class PrincipalUser implements User {
  constructor(readonly principal: Principal) {}
  get isAuthenticated(): boolean {
    return true;
  }
  get userName(): string {
    return this.principal.id;
  }
}

export function principalOf(context: ServerCallContext): Principal {
  const user = context.user;
  // The route builds every context with a PrincipalUser; anything else is a wiring bug, not a caller error.
  if (!(user instanceof PrincipalUser)) throw new Error("an /a2a call without an authenticated principal");
  return user.principal;
}

const TERMINAL_STATES = [
  TaskState.TASK_STATE_COMPLETED,
  TaskState.TASK_STATE_FAILED,
  TaskState.TASK_STATE_CANCELED,
  TaskState.TASK_STATE_REJECTED,
].map(taskStateToJSON);

export function isTerminal(state: TaskState | undefined): boolean {
  return state !== undefined && TERMINAL_STATES.includes(taskStateToJSON(state));
}

/** A stored task as its row: `approvalId` comes from the task's metadata (set by the executor). */
export interface StoredTask {
  task: Task;
  owner: string;
  ownerKind: string;
  workspaceId: string;
  approvalId?: string;
}

/**
 * The tasks of `/a2a` in our relational store (SQLite or PostgreSQL), keyed by (owner principal, task id):
 * a task id of another principal loads as "not found". A task that reached a terminal state is never
 * overwritten: the approval's decision may land (from the bus, on any node) before the SDK's ResultManager
 * saves its own copy of the still-working task, and that late save must not undo the decision.
 */
export class KyselyTaskStore implements TaskStore {
  private readonly db: Db;

  constructor(
    db: Kysely<Database>,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.db = db as unknown as Db;
  }

  async save(task: Task, context: ServerCallContext): Promise<void> {
    const principal = principalOf(context);
    const approvalId = typeof task.metadata?.approvalId === "string" ? task.metadata.approvalId : null;
    const row = {
      owner: principal.id,
      id: task.id,
      workspace_id: principal.workspaceId,
      owner_kind: principal.kind,
      approval_id: approvalId,
      state: taskStateToJSON(task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED),
      task: JSON.stringify(Task.toJSON(task)),
      updated_at: this.now().toISOString(),
    };
    await this.db
      .insertInto("a2a_tasks")
      .values(row)
      .onConflict((conflict) =>
        conflict
          .columns(["owner", "id"])
          .doUpdateSet({
            approval_id: (eb) => eb.fn.coalesce("excluded.approval_id", "a2a_tasks.approval_id"),
            state: row.state,
            task: row.task,
            updated_at: row.updated_at,
          })
          .where("a2a_tasks.state", "not in", TERMINAL_STATES),
      )
      .execute();
  }

  async load(taskId: string, context: ServerCallContext): Promise<Task | undefined> {
    const row = await this.db
      .selectFrom("a2a_tasks")
      .select("task")
      .where("owner", "=", principalOf(context).id)
      .where("id", "=", taskId)
      .executeTakeFirst();
    return row ? Task.fromJSON(JSON.parse(row.task)) : undefined;
  }

  async list(params: ListTasksRequest, context: ServerCallContext): Promise<ListTasksResponse> {
    const pageSize = Math.min(Math.max(params.pageSize ?? 50, 1), 100);
    let query = this.db.selectFrom("a2a_tasks").where("owner", "=", principalOf(context).id);
    if (params.status) query = query.where("state", "=", taskStateToJSON(params.status));
    const rows = await query.select("task").orderBy("updated_at", "desc").limit(pageSize).execute();
    const tasks = rows.map((row) => Task.fromJSON(JSON.parse(row.task)));
    // One page, newest first: listing is a convenience here, the approval inbox is the real list.
    return { tasks, nextPageToken: "", pageSize, totalSize: tasks.length };
  }

  /**
   * The non-terminal tasks waiting on this approval (any owner: the bus event names no principal), or on
   * any approval when none is named: what start-up reconciles against the approvals table.
   */
  async openApprovalTasks(approvalId?: string): Promise<StoredTask[]> {
    const rows = await this.db
      .selectFrom("a2a_tasks")
      .selectAll()
      .$call((query) =>
        approvalId === undefined
          ? query.where("approval_id", "is not", null)
          : query.where("approval_id", "=", approvalId),
      )
      .where("state", "not in", TERMINAL_STATES)
      .execute();
    return rows.map(toStored);
  }

  /** Moves a task to its final state once, whichever node or event gets there first (compare-and-set). */
  async finish(stored: StoredTask, task: Task): Promise<boolean> {
    const result = await this.db
      .updateTable("a2a_tasks")
      .set({
        state: taskStateToJSON(task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED),
        task: JSON.stringify(Task.toJSON(task)),
        updated_at: this.now().toISOString(),
      })
      .where("owner", "=", stored.owner)
      .where("id", "=", stored.task.id)
      .where("state", "not in", TERMINAL_STATES)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }
}

function toStored(row: A2aTasksTable): StoredTask {
  return {
    task: Task.fromJSON(JSON.parse(row.task)),
    owner: row.owner,
    ownerKind: row.owner_kind,
    workspaceId: row.workspace_id,
    ...(row.approval_id ? { approvalId: row.approval_id } : {}),
  };
}
