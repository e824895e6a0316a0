import { createHash } from "node:crypto";
import {
  type Approval,
  CreateApprovalBodySchema,
  canonicalJson,
  MCP_TOOL_CALL_APPROVAL_TYPE,
} from "@agentboard/protocol";
import type { CallToolResult } from "@modelcontextprotocol/client";
import { z } from "zod";
import type { ApprovalService } from "../../approvals/approval-service.js";
import type { Principal } from "../../auth/principal.js";
import { invalid } from "../../errors/agentboard-errors.js";
import type { EventBus } from "../../events/event-bus.js";
import { defineTopic } from "../../events/topics.js";
import type { GatedCallRow, GatedCallStore } from "./gated-call-store.js";
import { UpstreamCallError } from "./upstream.js";

/** A gated call finished on some node: its row now holds the result. */
export interface McpToolCallFinishedEvent {
  workspaceId: string;
  approvalId: string;
}

declare module "../../events/topics.js" {
  interface BusTopics {
    "mcp.tool_call_finished": McpToolCallFinishedEvent;
  }
}

export const toolCallFinishedTopic = defineTopic(
  "mcp.tool_call_finished",
  z.object({ workspaceId: z.string(), approvalId: z.string() }),
);

/**
 * How long an identical call WITHOUT an idempotency key still joins a finished one (and gets its result
 * instead of asking again): long enough for a client's retry after a timeout, short enough that doing the
 * same thing again tomorrow is a new request.
 */
export const KEYLESS_RETRY_WINDOW_MS = 10 * 60_000;
/** A node that claimed a call and then says nothing for this long past the call timeout is presumed gone. */
const CLAIM_GRACE_MS = 10_000;
/** Longest single approval wait; longer waits loop, so a lost wake-up costs at most this. */
const WAIT_SLICE_MS = 60_000;

export type GateOutcome =
  | { pending: true; approval: Approval }
  | { pending: false; result: CallToolResult; approval: Approval };

export interface GatedCall {
  principal: Principal;
  /** `<server>__<tool>`. */
  tool: string;
  server: string;
  args: Record<string, unknown>;
  /** The client's key for this call (REST `idempotencyKey`, MCP `_meta`); retries with it are one call. */
  idempotencyKey?: string;
  /** Answer `{pending: true}` after this long without a decision; undefined waits until `signal` aborts. */
  waitMs?: number;
  signal?: AbortSignal;
  callTimeoutMs: number;
  /** Calls the upstream. Never given the client's signal: an approved call, once sent, is seen through. */
  execute(): Promise<CallToolResult>;
}

function errorResult(text: string, structured?: Record<string, unknown>): CallToolResult {
  return {
    isError: true,
    content: [{ type: "text", text }],
    ...(structured ? { structuredContent: structured } : {}),
  };
}

/** What a refused call answers: the decision, who made it and why. */
export function refusalResult(approval: Approval): CallToolResult {
  const by = approval.decidedBy ? ` by ${approval.decidedBy.kind}:${approval.decidedBy.id}` : "";
  const why = approval.reason ? `: ${approval.reason}` : "";
  const status =
    approval.status === "auto_approved"
      ? "auto-approved, which gated MCP calls never accept"
      : approval.status;
  return errorResult(
    `Not run: approval ${approval.id} for ${approval.action.tool ?? "this call"} was ${status}${by}${why}`,
    {
      approval: {
        id: approval.id,
        status: approval.status,
        ...(approval.reason !== undefined ? { reason: approval.reason } : {}),
        ...(approval.decidedBy ? { decidedBy: approval.decidedBy } : {}),
      },
    },
  );
}

/**
 * The human gate of the MCP gateway. A gated call becomes an approval (type `mcp.tool_call`, action
 * `{tool, args}`: the approval's argsHash binds the decision to these exact arguments) and runs only once a
 * human approved it — exactly once, however often it is retried and on whichever node:
 *
 * - one call = one approval: the approval's idempotency key is derived from caller + tool + canonical
 *   arguments (+ the client's key, or, without one, a generation that moves on once an identical call has
 *   been over for KEYLESS_RETRY_WINDOW_MS), so every retry on every node lands on the same approval;
 * - one execution: the call's row (shared store) goes `awaiting` → `running` by compare-and-set; only the
 *   node that wins runs it, records the result, and announces it on the bus; everyone else waits for that
 *   and answers with the recorded result.
 *
 * Only `approved` runs. `auto_approved` never does (gated calls carry no confidence, so policy routes them
 * to a human anyway; this is the second lock), nor rejected, cancelled or expired ones.
 */
export class ToolCallGate {
  private readonly finishWaiters = new Map<string, Set<() => void>>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly deps: {
      approvals: ApprovalService;
      store: GatedCallStore;
      bus: EventBus;
      /** Names this node in `claimed_by`. */
      nodeId: string;
      now?: () => Date;
    },
  ) {
    deps.bus.topics.register(toolCallFinishedTopic);
    this.unsubscribe = deps.bus.subscribe("mcp.tool_call_finished", ({ approvalId }) => {
      for (const wake of this.finishWaiters.get(approvalId) ?? []) wake();
    });
  }

  close(): void {
    this.unsubscribe();
    for (const set of this.finishWaiters.values()) for (const wake of set) wake();
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  async run(call: GatedCall): Promise<GateOutcome> {
    const { principal, tool, args } = call;
    const callKey = createHash("sha256")
      .update(canonicalJson([principal.id, tool, args, call.idempotencyKey ?? null]), "utf8")
      .digest("hex");
    const generation =
      call.idempotencyKey !== undefined
        ? 0
        : await this.deps.store.closedBefore(
            principal.workspaceId,
            callKey,
            new Date(this.now().getTime() - KEYLESS_RETRY_WINDOW_MS).toISOString(),
          );
    const body = CreateApprovalBodySchema.safeParse({
      type: MCP_TOOL_CALL_APPROVAL_TYPE,
      title: `Run ${tool}`,
      description: `${principal.kind} "${principal.name}" asks to call the tool ${tool.slice(call.server.length + 2)} of MCP server "${call.server}".`,
      action: { tool, args },
      idempotencyKey: `mcp:${callKey}:${generation}`,
    });
    if (!body.success) {
      throw invalid(
        `these arguments cannot be put up for approval: ${body.error.issues[0]?.message ?? "invalid"}`,
      );
    }
    let { approval } = await this.deps.approvals.create(principal, body.data);
    await this.deps.store.ensure({
      approvalId: approval.id,
      workspaceId: principal.workspaceId,
      principalId: principal.id,
      tool,
      callKey,
      at: this.now().toISOString(),
    });

    const started = Date.now();
    while (approval.status === "pending") {
      call.signal?.throwIfAborted();
      const left = call.waitMs === undefined ? WAIT_SLICE_MS : call.waitMs - (Date.now() - started);
      if (left <= 0) return { pending: true, approval };
      approval = await this.deps.approvals.wait(principal, approval.id, {
        timeoutMs: Math.min(left, WAIT_SLICE_MS),
        signal: call.signal,
      });
    }
    if (approval.status !== "approved" || !approval.decidedBy) {
      await this.deps.store.refuse(approval.id, approval.decidedAt ?? this.now().toISOString());
      return { pending: false, result: refusalResult(approval), approval };
    }
    return { pending: false, result: await this.runOnce(approval, call), approval };
  }

  /** Runs the approved call unless some node already did (or does), and answers with its recorded result. */
  private async runOnce(approval: Approval, call: GatedCall): Promise<CallToolResult> {
    const { store, nodeId } = this.deps;
    for (;;) {
      // Listen first, then read: a finish announced between the two is not missed.
      const finished = this.onceFinished(approval.id);
      try {
        const row = await store.get(approval.id);
        if (!row) throw new Error(`gated call ${approval.id} has no record`);
        if (row.state === "done" && row.result) return row.result;
        if (row.state === "refused") return refusalResult(approval);
        if (row.state === "awaiting") {
          if (await store.claim(approval.id, nodeId, this.now().toISOString()))
            return await this.execute(approval, call);
          continue;
        }
        const outcome = await this.waitForClaimer(row, finished.promise, call);
        if (outcome) return outcome;
      } finally {
        finished.cancel();
      }
    }
  }

  private async execute(approval: Approval, call: GatedCall): Promise<CallToolResult> {
    const { store, nodeId, bus } = this.deps;
    let result: CallToolResult;
    try {
      result = await call.execute();
    } catch (error) {
      if (error instanceof UpstreamCallError && !error.mayHaveRun) {
        // It never reached the server: it stays approved and un-run, and a later call runs it.
        await store.release(approval.id, nodeId);
        return errorResult(`Approved but not run: ${error.message}. Call again to run it.`, {
          approval: { id: approval.id, status: approval.status },
        });
      }
      // It may have run: record that instead of ever sending it twice.
      const message = error instanceof Error ? error.message : String(error);
      result = errorResult(`Approved; the outcome is unknown and it is not retried: ${message}`, {
        approval: { id: approval.id, status: approval.status },
      });
    }
    await store.finish(approval.id, nodeId, result, this.now().toISOString());
    bus.publish("mcp.tool_call_finished", { workspaceId: approval.workspaceId, approvalId: approval.id });
    return result;
  }

  /** Another node (or request) runs the call: wait for its result, bounded by its call timeout. */
  private async waitForClaimer(
    row: GatedCallRow,
    finished: Promise<void>,
    call: GatedCall,
  ): Promise<CallToolResult | undefined> {
    const claimedAt = Date.parse(row.claimedAt ?? "") || Date.now();
    const deadline = claimedAt + call.callTimeoutMs + CLAIM_GRACE_MS;
    const left = deadline - Date.now();
    if (left <= 0) {
      const result = errorResult(
        `Approved; the outcome is unknown: ${row.claimedBy ?? "a node"} started it at ${row.claimedAt} and never reported back. It is not retried.`,
      );
      if (row.claimedAt)
        await this.deps.store.abandon(row.approvalId, row.claimedAt, result, this.now().toISOString());
      return undefined; // re-read: whichever write won is the answer
    }
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    try {
      await Promise.race([
        finished,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, left);
        }),
        new Promise<void>((_, reject) => {
          if (!call.signal) return;
          onAbort = () => reject(call.signal?.reason);
          if (call.signal.aborted) onAbort();
          else call.signal.addEventListener("abort", onAbort, { once: true });
        }),
      ]);
    } finally {
      clearTimeout(timer);
      if (onAbort) call.signal?.removeEventListener("abort", onAbort);
    }
    return undefined;
  }

  private onceFinished(approvalId: string): { promise: Promise<void>; cancel(): void } {
    let wake!: () => void;
    const promise = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const set = this.finishWaiters.get(approvalId) ?? new Set();
    set.add(wake);
    this.finishWaiters.set(approvalId, set);
    return {
      promise,
      cancel: () => {
        set.delete(wake);
        if (set.size === 0 && this.finishWaiters.get(approvalId) === set)
          this.finishWaiters.delete(approvalId);
      },
    };
  }
}
