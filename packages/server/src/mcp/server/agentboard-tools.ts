import {
  AgentboardError,
  type Approval,
  MCP_DEFAULT_APPROVAL_WAIT_SEC,
  McpAgentDashboardToolInputs,
  McpApprovalOutputSchema,
  type McpBuiltinToolName,
  McpGetApprovalInputSchema,
  McpReadDashboardOutputSchema,
  McpRenderWidgetOutputSchema,
  type McpRequestApprovalInput,
  McpRequestApprovalInputSchema,
  McpRevOutputSchema,
  McpUserDashboardToolInputs,
} from "@agentboard/protocol";
import type { CallToolResult, Tool, ToolAnnotations } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { ApprovalService } from "../../approvals/approval-service.js";
import type { IdentityStore } from "../../auth/identity-store.js";
import { type Principal, principalRef } from "../../auth/principal.js";
import { resolveDashboard } from "../../dashboards/dashboard-access.js";
import type { DashboardService } from "../../dashboards/dashboard-service.js";
import { invalid } from "../../errors/agentboard-errors.js";
import { widgetAppToolMeta } from "./widget-app.js";

export interface AgentboardToolDeps {
  identity: IdentityStore;
  dashboards: DashboardService;
  approvals: ApprovalService;
}

/** What a tool handler may use of the MCP request it serves. */
export interface ToolCallContext {
  /** Aborted when the client cancels the request, its session or stream ends, or the server shuts down. */
  signal: AbortSignal;
  /** Sends `notifications/progress` when the client asked for progress (a `progressToken`); else a no-op. */
  progress(progress: number, message: string): Promise<void>;
}

interface ToolDefinition {
  name: McpBuiltinToolName;
  title: string;
  description: string;
  input: z.ZodType;
  output: z.ZodType;
  annotations: ToolAnnotations;
  run(principal: Principal, args: never, context: ToolCallContext): Promise<Record<string, unknown>>;
}

/**
 * How often a blocking `request_approval` reports that it is still waiting. Below the SDKs' 60 s default
 * request timeout, so a client that resets its timeout on progress (`resetTimeoutOnProgress`) keeps waiting.
 */
export const APPROVAL_PROGRESS_INTERVAL_MS = 15_000;

const readOnly: ToolAnnotations = { readOnlyHint: true, openWorldHint: false };

function definitions(deps: AgentboardToolDeps, kind: Principal["kind"]): ToolDefinition[] {
  const inputs = kind === "user" ? McpUserDashboardToolInputs : McpAgentDashboardToolInputs;
  const dashboardOf = (principal: Principal, dashboardId: string | undefined, access: "read" | "write") =>
    resolveDashboard(deps.identity, principal, dashboardId ?? "me", access);
  return [
    {
      name: "render_widget",
      title: "Render a widget",
      description:
        "Creates or replaces one widget on a dashboard (placed at the bottom of the grid when new). Widget types: project_status, task_list, metrics, alert, activity, chart, table, note. Returns the new rev and the stored widget.",
      input: inputs.render_widget,
      output: McpRenderWidgetOutputSchema,
      // Replacing a widget with the same id overwrites what was there: not additive-only, so not "false".
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
      async run(principal, args: z.infer<typeof inputs.render_widget>) {
        const key = await dashboardOf(principal, args.dashboardId, "write");
        const { rev, widget } = await deps.dashboards.upsertWidget(
          key,
          args.widget.id,
          args.widget,
          principalRef(principal),
        );
        return { rev, widget };
      },
    },
    {
      name: "remove_widget",
      title: "Remove a widget",
      description: "Removes one widget (and its place in the layout) from a dashboard. Returns the new rev.",
      input: inputs.remove_widget,
      output: McpRevOutputSchema,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
      async run(principal, args: z.infer<typeof inputs.remove_widget>) {
        const key = await dashboardOf(principal, args.dashboardId, "write");
        const { rev } = await deps.dashboards.removeWidget(key, args.widgetId, principalRef(principal));
        return { rev };
      },
    },
    {
      name: "read_dashboard",
      title: "Read a dashboard",
      description: "The dashboard's current rev and state (layout, widgets, preferences).",
      input: inputs.read_dashboard,
      output: McpReadDashboardOutputSchema,
      annotations: readOnly,
      async run(principal, args: z.infer<typeof inputs.read_dashboard>) {
        const doc = await deps.dashboards.get(await dashboardOf(principal, args.dashboardId, "read"));
        return { rev: doc.rev, state: doc.state };
      },
    },
    {
      name: "patch_dashboard",
      title: "Patch a dashboard",
      description:
        "Applies RFC 6902 JSON Patch ops to the dashboard state, computed against baseRev. A stale baseRev is rebased when the paths do not overlap, else the result is a conflict carrying the current rev.",
      input: inputs.patch_dashboard,
      output: McpRevOutputSchema,
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: false,
      },
      async run(principal, args: z.infer<typeof inputs.patch_dashboard>) {
        const key = await dashboardOf(principal, args.dashboardId, "write");
        const { rev } = await deps.dashboards.patch(
          key,
          { baseRev: args.baseRev, ops: args.ops },
          principalRef(principal),
        );
        return { rev };
      },
    },
    {
      name: "request_approval",
      title: "Ask a human for approval",
      description:
        "Puts a request in the workspace's approvals inbox. By default waits until a human decides (progress notifications while waiting) and returns the decided approval: check approval.status (approved, auto_approved, rejected, cancelled, expired; still pending only after waitTimeoutSec). wait: false returns the pending approval at once; poll it with get_approval.",
      input: McpRequestApprovalInputSchema,
      output: McpApprovalOutputSchema,
      // It only adds a request to the inbox; a decision is a human's, never this tool's.
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
      async run(principal, args: McpRequestApprovalInput, context) {
        const { wait = true, waitTimeoutSec = MCP_DEFAULT_APPROVAL_WAIT_SEC, ...body } = args;
        const { approval } = await deps.approvals.create(principal, body);
        if (!wait || approval.status !== "pending") return { approval };
        return {
          approval: await waitForDecision(deps.approvals, principal, approval, waitTimeoutSec, context),
        };
      },
    },
    {
      name: "get_approval",
      title: "Get an approval",
      description: "One approval of this workspace by id, as it is now (agents see their own requests).",
      input: McpGetApprovalInputSchema,
      output: McpApprovalOutputSchema,
      annotations: readOnly,
      async run(principal, args: z.infer<typeof McpGetApprovalInputSchema>) {
        return { approval: await deps.approvals.get(principal, args.id) };
      },
    },
  ];
}

/**
 * Waits in slices of APPROVAL_PROGRESS_INTERVAL_MS, reporting progress after each, until the approval is
 * decided, `timeoutSec` passed (the still-pending approval is returned) or the context's signal aborts
 * (cancelled request: the approval stays pending, and the abort propagates so no result is sent).
 */
async function waitForDecision(
  approvals: ApprovalService,
  principal: Principal,
  pending: Approval,
  timeoutSec: number,
  context: ToolCallContext,
): Promise<Approval> {
  const deadline = Date.now() + timeoutSec * 1000;
  let current = pending;
  let slices = 0;
  for (;;) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return current;
    current = await approvals.wait(principal, pending.id, {
      timeoutMs: Math.min(APPROVAL_PROGRESS_INTERVAL_MS, remaining),
      signal: context.signal,
    });
    if (current.status !== "pending") return current;
    // Shutdown releases waits with the pending approval; the signal tells that apart from a slice's end.
    context.signal.throwIfAborted();
    slices += 1;
    await context.progress(slices, `waiting for a human to decide approval ${pending.id}`);
  }
}

/** JSON Schemas of one principal kind's tools, derived once from the zod schemas. */
const listCache = new Map<string, Tool[]>();

/**
 * agentboard's own tools for one principal: `list` gives their MCP descriptions (input and output schemas
 * from the protocol's zod schemas), `call` validates the arguments with the same schemas and runs the tool
 * through the services, as this principal. Failures are `isError` results carrying the contract's error
 * code; only an unknown tool name is for the caller to turn into a protocol error.
 */
export class AgentboardTools {
  private readonly byName: Map<string, ToolDefinition>;

  constructor(
    deps: AgentboardToolDeps,
    private readonly kind: Principal["kind"],
  ) {
    this.byName = new Map(definitions(deps, kind).map((tool) => [tool.name, tool]));
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  list(): Tool[] {
    let tools = listCache.get(this.kind);
    if (!tools) {
      tools = [...this.byName.values()].map((tool) => {
        const meta = widgetAppToolMeta(tool.name);
        return {
          name: tool.name,
          title: tool.title,
          description: tool.description,
          inputSchema: jsonSchemaOf(tool.input, "input"),
          outputSchema: jsonSchemaOf(tool.output, "output"),
          annotations: { title: tool.title, ...tool.annotations },
          ...(meta ? { _meta: meta } : {}),
        };
      });
      listCache.set(this.kind, tools);
    }
    return tools;
  }

  async call(
    principal: Principal,
    name: string,
    rawArgs: Record<string, unknown> | undefined,
    context: ToolCallContext,
  ): Promise<CallToolResult> {
    const tool = this.byName.get(name);
    if (!tool) throw new Error(`unknown tool ${name}`);
    const parsed = tool.input.safeParse(rawArgs ?? {});
    if (!parsed.success) {
      return errorResult(
        invalid(`the arguments of ${name} do not match its inputSchema: ${z.prettifyError(parsed.error)}`, {
          issues: parsed.error.issues.map((issue) => ({
            path: issue.path.join("."),
            message: issue.message,
          })),
        }),
      );
    }
    try {
      const structured = await tool.run(principal, parsed.data as never, context);
      return { content: [{ type: "text", text: JSON.stringify(structured) }], structuredContent: structured };
    } catch (error) {
      // A cancelled call sends nothing back (the SDK drops it); anything else from the services is a result.
      if (context.signal.aborted) throw error;
      if (AgentboardError.isInstance(error)) return errorResult(error);
      throw error;
    }
  }
}

/**
 * A failed call: `isError` with the contract's error body `{error, message, details?}` as JSON text. Not as
 * `structuredContent`: clients (the v1 SDK's among them) validate that against the tool's outputSchema
 * even on errors, and the error body is not the tool's output.
 */
function errorResult(error: AgentboardError): CallToolResult {
  return { isError: true, content: [{ type: "text", text: JSON.stringify(error.toJSON()) }] };
}

function jsonSchemaOf(schema: z.ZodType, io: "input" | "output"): Tool["inputSchema"] {
  // `$schema` is left out: some clients' validators (Ajv's draft-07 default) reject an unknown meta-schema.
  const { $schema: _meta, ...json } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return json as Tool["inputSchema"];
}
