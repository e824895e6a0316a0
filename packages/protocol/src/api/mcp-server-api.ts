import { z } from "zod";
import { ApprovalIdSchema, ApprovalSchema } from "../approvals/approval.js";
import { CreateApprovalBodySchema } from "../approvals/approvals-api.js";
import { DashboardStateSchema } from "../dashboard/dashboard-state.js";
import { IdSchema } from "../dashboard/primitives.js";
import { WidgetInputSchema, WidgetSchema } from "../dashboard/widget.js";
import { JsonPatchSchema } from "../json-patch/patch-op.js";
import { DashboardIdSchema, RevSchema } from "./dashboards-api.js";

/**
 * agentboard's own MCP tools (`/mcp`, contract.md "MCP"): their arguments and their `structuredContent`.
 * The endpoint derives each tool's `inputSchema` / `outputSchema` from these with `z.toJSONSchema` and
 * validates arguments with them, so what a client is shown and what the server accepts are one schema.
 */

/** Where a tool draws: `me` (users only; the default for users), `user:<userId>`, or a shared slug. */
const dashboardIdField = DashboardIdSchema.describe(
  'The dashboard: "me" (your own, users only), "user:<userId>" (a member\'s personal one) or a shared slug',
);

/** Arguments of the dashboard tools for a user: `dashboardId` may be left out (it is `me`). */
const optionalDashboard = { dashboardId: dashboardIdField.optional() };
/** For agents, who have no personal dashboard: `dashboardId` is required. */
const requiredDashboard = { dashboardId: dashboardIdField };

/** A widget as `render_widget` takes it: the body of `PUT …/widgets/:widgetId`, with its `id` required. */
export const McpWidgetInputSchema = WidgetInputSchema.and(z.object({ id: IdSchema }));

function dashboardToolInputs<D extends typeof optionalDashboard | typeof requiredDashboard>(dashboard: D) {
  return {
    render_widget: z.strictObject({
      ...dashboard,
      widget: McpWidgetInputSchema.describe(
        "The widget without server fields (updatedAt/updatedBy): {id, type, title, props, status?, error?, source?}",
      ),
    }),
    remove_widget: z.strictObject({ ...dashboard, widgetId: IdSchema }),
    read_dashboard: z.strictObject({ ...dashboard }),
    patch_dashboard: z.strictObject({
      ...dashboard,
      baseRev: RevSchema.describe("The rev the ops were computed against (from read_dashboard)"),
      ops: JsonPatchSchema.describe("RFC 6902 operations on the dashboard state"),
    }),
  };
}

/** Tool arguments as a user sees them (`dashboardId` defaults to `me`). */
export const McpUserDashboardToolInputs = dashboardToolInputs(optionalDashboard);
/** Tool arguments as an agent sees them (`dashboardId` is required). */
export const McpAgentDashboardToolInputs = dashboardToolInputs(requiredDashboard);

/** The longest `request_approval` waits for a decision before it answers with the still-pending approval. */
export const MCP_MAX_APPROVAL_WAIT_SEC = 86_400;
export const MCP_DEFAULT_APPROVAL_WAIT_SEC = 3_600;

export const McpRequestApprovalInputSchema = CreateApprovalBodySchema.extend({
  wait: z
    .boolean()
    .optional()
    .describe(
      "Wait for a human decision before answering (default true); false answers at once with the pending approval",
    ),
  waitTimeoutSec: z
    .int()
    .min(1)
    .max(MCP_MAX_APPROVAL_WAIT_SEC)
    .optional()
    .describe(
      `How long to wait at most (default ${MCP_DEFAULT_APPROVAL_WAIT_SEC}); then the still-pending approval is returned`,
    ),
});
export type McpRequestApprovalInput = z.infer<typeof McpRequestApprovalInputSchema>;

export const McpGetApprovalInputSchema = z.strictObject({ id: ApprovalIdSchema });

export const McpRenderWidgetOutputSchema = z.object({ rev: RevSchema, widget: WidgetSchema });
export const McpRevOutputSchema = z.object({ rev: RevSchema });
export const McpReadDashboardOutputSchema = z.object({ rev: RevSchema, state: DashboardStateSchema });
export const McpApprovalOutputSchema = z.object({ approval: ApprovalSchema });

/** The names of agentboard's own tools; gateway tools (`<server>__<tool>`) never take one of these. */
export const MCP_BUILTIN_TOOL_NAMES = [
  "render_widget",
  "remove_widget",
  "read_dashboard",
  "patch_dashboard",
  "request_approval",
  "get_approval",
] as const;
export type McpBuiltinToolName = (typeof MCP_BUILTIN_TOOL_NAMES)[number];

/** `agentboard://dashboards/{id}`: the dashboard resource (JSON document, subscribable). */
export const MCP_DASHBOARD_URI_PREFIX = "agentboard://dashboards/";
export function mcpDashboardUri(dashboardId: string): string {
  return `${MCP_DASHBOARD_URI_PREFIX}${dashboardId}`;
}

/**
 * The MCP Apps UI resource that `render_widget` and `read_dashboard` declare: one self-contained HTML file
 * that shows their result with the web app's widget components.
 */
export const MCP_WIDGET_APP_URI = "ui://agentboard/widget";
/** The tools that carry it, in their `_meta.ui.resourceUri`. */
export const MCP_WIDGET_APP_TOOLS = ["render_widget", "read_dashboard"] as const;
