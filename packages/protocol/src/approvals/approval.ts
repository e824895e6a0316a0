import { z } from "zod";
import { PrincipalKindSchema } from "../api/identity-api.js";
import { FORBIDDEN_SEGMENTS, IdSchema } from "../dashboard/primitives.js";

/** Every status an approval can have; all but `pending` are terminal (contract.md "Approvals"). */
export const APPROVAL_STATUSES = [
  "pending",
  "approved",
  "rejected",
  "cancelled",
  "expired",
  "auto_approved",
] as const;
export const ApprovalStatusSchema = z.enum(APPROVAL_STATUSES);
export type ApprovalStatus = z.infer<typeof ApprovalStatusSchema>;

/** Statuses after which nothing changes any more. */
export const TERMINAL_APPROVAL_STATUSES: ReadonlySet<ApprovalStatus> = new Set(
  APPROVAL_STATUSES.filter((status) => status !== "pending"),
);

export const ApprovalRouteSchema = z.enum(["auto", "quick", "full"]);
export type ApprovalRoute = z.infer<typeof ApprovalRouteSchema>;

export const ApprovalPrioritySchema = z.enum(["low", "normal", "high", "urgent"]);
export type ApprovalPriority = z.infer<typeof ApprovalPrioritySchema>;

/** What happens when `expiresAt` passes while pending: status `expired`, or `rejected` ("timed out"). */
export const ApprovalOnTimeoutSchema = z.enum(["expire", "reject"]);
export type ApprovalOnTimeout = z.infer<typeof ApprovalOnTimeoutSchema>;

/**
 * An approval type names a kind of action ("deploy", "send_email", "mcp.tool_call"). Policy overrides are
 * keyed by it, so it is a short lowercase slug and never a name that reaches an object prototype.
 */
export const ApprovalTypeSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9_.:-]*$/, "must be a lowercase slug of a-z, 0-9 and _ . : -")
  .refine((type) => !FORBIDDEN_SEGMENTS.has(type), "is a reserved name");

export const ApprovalIdSchema = IdSchema;

export const PrincipalRefSchema = z.object({ kind: PrincipalKindSchema, id: z.string() });
export type PrincipalRef = z.infer<typeof PrincipalRefSchema>;

/** The exact action a decision applies to; `argsHash` binds the decision to these bytes. */
export const ApprovalActionSchema = z.object({ tool: z.string().optional(), args: z.unknown().optional() });
export type ApprovalAction = z.infer<typeof ApprovalActionSchema>;

const Timestamp = z.iso.datetime({ offset: true });

/** An approval as the server stores and serves it (contract.md "Approvals"). */
export const ApprovalSchema = z.object({
  id: ApprovalIdSchema,
  workspaceId: z.string(),
  type: ApprovalTypeSchema,
  title: z.string(),
  description: z.string().optional(),
  action: ApprovalActionSchema,
  /** SHA-256 (hex) of `canonicalJson(action)`: the tool and its arguments, so neither can be swapped. */
  argsHash: z.string().regex(/^[0-9a-f]{64}$/),
  confidence: z.number().min(0).max(100).optional(),
  priority: ApprovalPrioritySchema,
  route: ApprovalRouteSchema,
  status: ApprovalStatusSchema,
  requestedBy: PrincipalRefSchema,
  /** Who approved, rejected or cancelled; absent for policy (auto) and timer (expiry) transitions. */
  decidedBy: PrincipalRefSchema.optional(),
  reason: z.string().optional(),
  createdAt: Timestamp,
  expiresAt: Timestamp.optional(),
  /** Present with `expiresAt`: what the timer does if nobody decides first. */
  onTimeout: ApprovalOnTimeoutSchema.optional(),
  /** Time of the terminal transition, whichever it was. */
  decidedAt: Timestamp.optional(),
  /** Starts at 1 and grows by one with each transition; the compare-and-set checks it. */
  version: z.int().min(1),
});
export type Approval = z.infer<typeof ApprovalSchema>;

/** Lifecycle events, in the words of the realtime `approval` frame. */
export const APPROVAL_EVENTS = ["created", "decided", "cancelled", "expired"] as const;
export const ApprovalEventNameSchema = z.enum(APPROVAL_EVENTS);
export type ApprovalEventName = z.infer<typeof ApprovalEventNameSchema>;

/**
 * What listeners (the realtime hub, waiters, other nodes) hear after a transition is durable. A timed-out
 * approval is `expired` with status `expired`, or status `rejected` when its `onTimeout` is `reject`.
 */
export const ApprovalEventSchema = z.object({ event: ApprovalEventNameSchema, approval: ApprovalSchema });
export type ApprovalEvent = z.infer<typeof ApprovalEventSchema>;

/** One row of an approval's audit trail (`GET /api/approvals/:id/events`). */
export const AuditEntrySchema = z.object({
  /** Position in the workspace's hash chain: increases by one per row across all approvals. */
  seq: z.int().min(1),
  at: Timestamp,
  /** `<kind>:<id>` of the principal, or `system:policy` / `system:expiry`. */
  actor: z.string(),
  event: ApprovalEventNameSchema,
  from: ApprovalStatusSchema.nullable(),
  to: ApprovalStatusSchema,
  reason: z.string().optional(),
  /** Policy inputs at creation (confidence, thresholds, matched override, route, argsHash). */
  details: z.record(z.string(), z.unknown()).optional(),
  /** SHA-256 (hex) of the previous row's hash followed by this row's canonical JSON. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;
