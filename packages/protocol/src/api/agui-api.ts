import { z } from "zod";
import { ApprovalSchema } from "../approvals/approval.js";
import { ReasonSchema } from "../approvals/approvals-api.js";
import type { DashboardState } from "../dashboard/dashboard-state.js";
import { ErrorCodeSchema } from "../errors/error-codes.js";
import { DashboardIdSchema, RevSchema } from "./dashboards-api.js";

/**
 * The AG-UI stream of a dashboard (`POST /api/agui/:dashboardId`, docs/agui.md). AG-UI's own shapes
 * (RunAgentInput, the events, Interrupt, ResumeEntry) are @ag-ui/core's; these are the parts agentboard puts
 * inside them.
 */

/** `POST /api/agui/:dashboardId`: the dashboard ids of the REST API (`me`, `user:<id>`, a slug). */
export const AguiParamsSchema = z.object({ dashboardId: DashboardIdSchema });

/**
 * The AG-UI state of a run: the dashboard document's state (schemaVersion, layout, widgets, preferences) with
 * where it stands: the dashboard id of the URL and the document's rev. Every STATE_DELTA moves `rev` on by one.
 */
export type AguiBoardState = DashboardState & { dashboardId: string; rev: number };

/**
 * What the server reads of a RunAgentInput's `state`: a state this stream sent before (same dashboard id, a
 * rev) resumes from that rev (only the changes since, or a snapshot when the log no longer has them).
 */
export const AguiStatePositionSchema = z.object({ dashboardId: z.string(), rev: RevSchema });

/** `forwardedProps.agentboard`: `follow: false` ends the run once it has caught up (default: follow on). */
export const AguiOptionsSchema = z.strictObject({ follow: z.boolean().optional() });
export type AguiOptions = z.infer<typeof AguiOptionsSchema>;

/** Interrupt.reason of a pending approval. */
export const AGUI_APPROVAL_REASON = "approval";

/** Interrupt.metadata of a pending approval: the approval as the inbox shows it. */
export const AguiInterruptMetadataSchema = z.object({ approval: ApprovalSchema });

/** ResumeEntry.payload answering an approval interrupt (status `resolved`). */
export const AguiDecisionSchema = z.strictObject({
  decision: z.enum(["approve", "reject"]),
  reason: ReasonSchema.optional(),
});
export type AguiDecision = z.infer<typeof AguiDecisionSchema>;

/** RUN_FINISHED.result of a run that ended caught up (`follow: false`). */
export const AguiRunResultSchema = z.object({ rev: RevSchema });

/** RUN_ERROR.code: the contract's error codes, or `resync_required` (run again: it resumes from the state's rev). */
export const AguiRunErrorCodeSchema = z.union([ErrorCodeSchema, z.literal("resync_required")]);
export type AguiRunErrorCode = z.infer<typeof AguiRunErrorCodeSchema>;
