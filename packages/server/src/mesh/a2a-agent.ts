import { randomUUID } from "node:crypto";
import {
  A2A_PROTOCOL_VERSION,
  AgentCard,
  type CancelTaskRequest,
  type Message,
  type Part,
  Role,
  type Task,
  TaskState,
} from "@a2a-js/sdk";
import {
  AgentEvent,
  type AgentExecutor,
  DefaultRequestHandler,
  type ExecutionEventBus,
  type RequestContext,
  ServerCallContext,
} from "@a2a-js/sdk/server";
import {
  AgentboardError,
  type Approval,
  CreateApprovalBodySchema,
  McpAgentDashboardToolInputs,
  McpUserDashboardToolInputs,
} from "@agentboard/protocol";
import type { ApprovalService } from "../approvals/approval-service.js";
import type { IdentityStore } from "../auth/identity-store.js";
import { type Principal, principalRef } from "../auth/principal.js";
import { resolveDashboard } from "../dashboards/dashboard-access.js";
import type { DashboardService } from "../dashboards/dashboard-service.js";
import { invalid } from "../errors/agentboard-errors.js";
import {
  isTerminal,
  type KyselyTaskStore,
  PrincipalUser,
  principalOf,
  type StoredTask,
} from "./a2a-task-store.js";

export const A2A_PATH = "/a2a";
export const SKILLS = ["request_approval", "render_widget"] as const;
export type SkillId = (typeof SKILLS)[number];

/** agentboard's own card (A2A 1.0): JSON-RPC at `<public url>/a2a`, bearer tokens, two skills. */
export function agentboardCard(origin: string): AgentCard {
  const bearer = { schemes: { bearer: { list: [] } } };
  return {
    name: "agentboard",
    description:
      "A human-in-the-loop board: ask a human to approve an action (request_approval) or draw a widget on a dashboard (render_widget).",
    supportedInterfaces: [
      {
        url: `${origin}${A2A_PATH}`,
        protocolBinding: "JSONRPC",
        tenant: "",
        protocolVersion: A2A_PROTOCOL_VERSION,
      },
    ],
    provider: undefined,
    version: "0.1.0",
    capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {
      bearer: {
        scheme: {
          $case: "httpAuthSecurityScheme",
          value: { scheme: "Bearer", bearerFormat: "agentboard token", description: "An agent's API token" },
        },
      },
    },
    securityRequirements: [bearer],
    defaultInputModes: ["application/json"],
    defaultOutputModes: ["application/json"],
    skills: [
      {
        id: "request_approval",
        name: "Ask a human to approve",
        description:
          "A DataPart with the body of POST /api/approvals ({type, title, description?, action?, ...}). The task stays working until a human decides: completed (approved), rejected, canceled, or failed (expired).",
        tags: ["approval", "human-in-the-loop"],
        examples: [],
        inputModes: ["application/json"],
        outputModes: ["application/json"],
        securityRequirements: [],
      },
      {
        id: "render_widget",
        name: "Draw a widget",
        description:
          "A DataPart {dashboardId, widget} (the widget as PUT /api/dashboards/:id/widgets/:widgetId takes it, with its id). Completes with {rev, widget}.",
        tags: ["dashboard", "widget"],
        examples: [],
        inputModes: ["application/json"],
        outputModes: ["application/json"],
        securityRequirements: [],
      },
    ],
    signatures: [],
  };
}

/** The card as served: the SDK's JSON form of the 1.0 card. */
export function agentboardCardJson(origin: string): unknown {
  return AgentCard.toJSON(agentboardCard(origin));
}

export function contextFor(principal: Principal, requestedVersion?: string): ServerCallContext {
  return new ServerCallContext({ user: new PrincipalUser(principal), requestedVersion });
}

function dataPart(data: unknown): Part {
  return {
    content: { $case: "data", value: data },
    metadata: undefined,
    filename: "",
    mediaType: "application/json",
  };
}

function agentMessage(task: Pick<Task, "id" | "contextId">, text: string, data?: unknown): Message {
  return {
    messageId: randomUUID(),
    contextId: task.contextId,
    taskId: task.id,
    role: Role.ROLE_AGENT,
    parts: [
      { content: { $case: "text", value: text }, metadata: undefined, filename: "", mediaType: "text/plain" },
      ...(data === undefined ? [] : [dataPart(data)]),
    ],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
}

/**
 * An approval's status as a task state. `expired` (nobody decided in time, `onTimeout: "expire"`) is
 * `failed`: the request got no answer, which is not a human's refusal; `onTimeout: "reject"` already
 * makes the approval `rejected`.
 */
export function taskStateOf(approval: Approval): TaskState {
  switch (approval.status) {
    case "pending":
      return TaskState.TASK_STATE_WORKING;
    case "approved":
    case "auto_approved":
      return TaskState.TASK_STATE_COMPLETED;
    case "rejected":
      return TaskState.TASK_STATE_REJECTED;
    case "cancelled":
      return TaskState.TASK_STATE_CANCELED;
    case "expired":
      return TaskState.TASK_STATE_FAILED;
  }
}

/** What the requester reads off the finished task: the decision, in the status message and an artifact. */
function decisionOf(approval: Approval) {
  return {
    approvalId: approval.id,
    status: approval.status,
    ...(approval.reason !== undefined ? { reason: approval.reason } : {}),
    ...(approval.decidedBy !== undefined ? { decidedBy: approval.decidedBy } : {}),
    ...(approval.decidedAt !== undefined ? { decidedAt: approval.decidedAt } : {}),
  };
}

/** The task of a `request_approval` call, as the approval stands now. */
export function approvalTask(base: Task, approval: Approval): Task {
  const state = taskStateOf(approval);
  const decision = decisionOf(approval);
  const pending = approval.status === "pending";
  return {
    ...base,
    status: {
      state,
      message: agentMessage(
        base,
        pending
          ? `waiting for a human to decide approval ${approval.id}`
          : `approval ${approval.id}: ${approval.status}`,
        decision,
      ),
      timestamp: new Date().toISOString(),
    },
    artifacts: pending
      ? []
      : [
          {
            artifactId: "decision",
            name: "decision",
            description: "The human's decision on the approval",
            parts: [dataPart(decision)],
            metadata: undefined,
            extensions: [],
          },
        ],
    metadata: { ...base.metadata, skill: "request_approval", approvalId: approval.id },
  };
}

/** Which skill a message asks for: `metadata.skill`, else the DataPart's shape (`widget` → render_widget). */
function skillOf(message: Message, data: Record<string, unknown>): SkillId {
  const named = message.metadata?.skill;
  if (named !== undefined) {
    if (!SKILLS.includes(named))
      throw invalid(`unknown skill "${String(named)}"; skills: ${SKILLS.join(", ")}`);
    return named as SkillId;
  }
  return "widget" in data ? "render_widget" : "request_approval";
}

function firstData(message: Message): Record<string, unknown> {
  for (const part of message.parts) {
    const value = part.content?.$case === "data" ? part.content.value : undefined;
    if (value && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  }
  throw invalid("send a DataPart (a JSON object) with the skill's input");
}

export interface A2aAgentDeps {
  approvals: ApprovalService;
  dashboards: DashboardService;
  identity: IdentityStore;
  tasks: KyselyTaskStore;
}

/**
 * Applies approvals to the tasks that wait on them: from the `approval` bus topic (every node hears every
 * decision), after an executor created its task (a decision may have come first) and at start-up.
 */
export class ApprovalTaskSync {
  constructor(private readonly deps: A2aAgentDeps) {}

  async applyApproval(approval: Approval): Promise<void> {
    if (approval.status === "pending") return;
    for (const stored of await this.deps.tasks.openApprovalTasks(approval.id)) {
      await this.deps.tasks.finish(stored, approvalTask(stored.task, approval));
    }
  }

  /** Start-up: tasks left working while this (or every) node was down catch up with their approvals. */
  async reconcile(): Promise<number> {
    let finished = 0;
    for (const stored of await this.deps.tasks.openApprovalTasks()) {
      const approval = await this.approvalOf(stored);
      if (approval && approval.status !== "pending") {
        if (await this.deps.tasks.finish(stored, approvalTask(stored.task, approval))) finished += 1;
      }
    }
    return finished;
  }

  private async approvalOf(stored: StoredTask): Promise<Approval | undefined> {
    if (!stored.approvalId) return undefined;
    // The owner asked for it, so the owner may read it; a removed principal's approval is left alone.
    const owner = {
      kind: stored.ownerKind,
      id: stored.owner,
      name: stored.owner,
      workspaceId: stored.workspaceId,
      workspaceName: "",
      role: "member",
    } as Principal;
    try {
      return await this.deps.approvals.get(owner, stored.approvalId);
    } catch (error) {
      if (AgentboardError.isInstance(error) && error.code === "not_found") return undefined;
      throw error;
    }
  }
}

/** Runs the two skills as the calling principal. Every call publishes exactly one task event. */
export class AgentboardExecutor implements AgentExecutor {
  constructor(
    private readonly deps: A2aAgentDeps,
    private readonly sync: ApprovalTaskSync,
  ) {}

  async execute(requestContext: RequestContext, eventBus: ExecutionEventBus): Promise<void> {
    const principal = principalOf(requestContext.context);
    const message = requestContext.userMessage;
    if (requestContext.task) {
      throw invalid("agentboard tasks take one message: start a new task instead of continuing this one");
    }
    const data = firstData(message);
    const base: Task = {
      id: requestContext.taskId,
      contextId: requestContext.contextId,
      status: undefined,
      artifacts: [],
      history: [message],
      metadata: {},
    };
    if (skillOf(message, data) === "render_widget") {
      const schema =
        principal.kind === "agent"
          ? McpAgentDashboardToolInputs.render_widget
          : McpUserDashboardToolInputs.render_widget;
      const parsed = schema.safeParse(data);
      if (!parsed.success) throw invalid(`render_widget input: ${parsed.error.message}`);
      const args = parsed.data;
      const key = await resolveDashboard(this.deps.identity, principal, args.dashboardId ?? "me", "write");
      const { rev, widget } = await this.deps.dashboards.upsertWidget(
        key,
        args.widget.id,
        args.widget,
        principalRef(principal),
      );
      const result = { rev, widget };
      eventBus.publish(
        AgentEvent.task({
          ...base,
          status: {
            state: TaskState.TASK_STATE_COMPLETED,
            message: agentMessage(base, `widget ${widget.id} drawn at rev ${rev}`, result),
            timestamp: new Date().toISOString(),
          },
          artifacts: [
            {
              artifactId: "widget",
              name: "widget",
              description: "The stored widget and the dashboard's new rev",
              parts: [dataPart(result)],
              metadata: undefined,
              extensions: [],
            },
          ],
          metadata: { skill: "render_widget" },
        }),
      );
      return;
    }
    const body = CreateApprovalBodySchema.safeParse(data);
    if (!body.success) throw invalid(`request_approval input: ${body.error.message}`);
    const { approval } = await this.deps.approvals.create(principal, body.data);
    const task = approvalTask(base, approval);
    // Saved before the event so the approval's decision (bus, any node) finds the row; then re-checked,
    // because a decision between create() and this save was heard when there was no row to update.
    await this.deps.tasks.save(task, requestContext.context);
    if (!isTerminal(task.status?.state)) {
      const now = await this.deps.approvals.get(principal, approval.id);
      await this.sync.applyApproval(now);
    }
    eventBus.publish(AgentEvent.task((await this.deps.tasks.load(task.id, requestContext.context)) ?? task));
  }

  /** Only reached while an execution is still running (its bus alive); CancelTask below handles the rest. */
  async cancelTask(taskId: string, eventBus: ExecutionEventBus): Promise<void> {
    eventBus.publish(
      AgentEvent.statusUpdate({
        taskId,
        contextId: "",
        status: {
          state: TaskState.TASK_STATE_CANCELED,
          message: undefined,
          timestamp: new Date().toISOString(),
        },
        metadata: undefined,
      }),
    );
  }
}

/**
 * The SDK's handler, with CancelTask first cancelling the task's approval as the caller. The SDK cancels a
 * task whose execution has ended (ours end as soon as the approval is filed) by writing `canceled` to the
 * store without asking the executor, so the approval would stay pending in the inbox. Cancelling it here
 * and applying the result makes the task `canceled`, or, if a human decided first, the decision (and the
 * SDK then answers "not cancelable").
 */
export class AgentboardRequestHandler extends DefaultRequestHandler {
  constructor(
    card: AgentCard,
    private readonly deps: A2aAgentDeps,
    private readonly sync: ApprovalTaskSync,
    executor: AgentExecutor,
  ) {
    super(card, deps.tasks, executor);
  }

  override async cancelTask(params: CancelTaskRequest, context: ServerCallContext): Promise<Task> {
    const task = params.id ? await this.deps.tasks.load(params.id, context) : undefined;
    const approvalId = task?.metadata?.approvalId;
    if (task && typeof approvalId === "string" && !isTerminal(task.status?.state)) {
      const principal = principalOf(context);
      let approval: Approval;
      try {
        approval = await this.deps.approvals.cancel(principal, approvalId, "cancelled over A2A (CancelTask)");
      } catch (error) {
        // Decided meanwhile (conflict): the task takes that decision instead.
        if (!AgentboardError.isInstance(error) || error.code !== "conflict") throw error;
        approval = await this.deps.approvals.get(principal, approvalId);
      }
      await this.sync.applyApproval(approval);
    }
    return super.cancelTask(params, context);
  }
}
