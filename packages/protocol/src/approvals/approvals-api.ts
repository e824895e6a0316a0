import { z } from "zod";
import { jsonByteLength } from "../dashboard/dashboard-state.js";
import { IdSchema } from "../dashboard/primitives.js";
import { AgentboardError, ApiErrorSchema } from "../errors/index.js";
import { assertSafeJson } from "../json-value.js";
import {
  ApprovalOnTimeoutSchema,
  ApprovalPrioritySchema,
  ApprovalSchema,
  ApprovalStatusSchema,
  ApprovalTypeSchema,
  AuditEntrySchema,
} from "./approval.js";

/** Named bounds of the approvals API; each caps the work or storage one request can cause. */
export const APPROVAL_LIMITS = {
  /** Serialised `action.args`: enough for any tool call a human can review, small enough for every inbox. */
  maxArgsBytes: 32 * 1024,
  maxToolLength: 200,
  maxTitleLength: 200,
  maxDescriptionLength: 4_000,
  maxReasonLength: 1_000,
  maxIdempotencyKeyLength: 128,
  /** 30 days: longer-lived requests are forgotten work, not pending decisions. */
  maxExpiresInSec: 30 * 86_400,
  maxBulkIds: 100,
  maxListLimit: 100,
  defaultListLimit: 50,
  /** One long-poll answers after at most this long; clients loop for longer waits. */
  maxWaitMs: 60_000,
  defaultWaitMs: 30_000,
  maxCursorLength: 512,
} as const;

/** Free-form tool arguments: any JSON, but bounded in bytes and depth and free of prototype keys. */
export const ApprovalArgsSchema = z.unknown().superRefine((args, context) => {
  if (args === undefined) return;
  try {
    assertSafeJson(args);
  } catch (error) {
    context.addIssue({
      code: "custom",
      message: AgentboardError.isInstance(error) ? error.message : "not JSON",
    });
    return;
  }
  const bytes = jsonByteLength(args);
  if (bytes > APPROVAL_LIMITS.maxArgsBytes) {
    context.addIssue({
      code: "custom",
      message: `args are ${bytes} bytes of JSON; the limit is ${APPROVAL_LIMITS.maxArgsBytes}`,
    });
  }
});

export const ApprovalActionInputSchema = z.strictObject({
  tool: z.string().min(1).max(APPROVAL_LIMITS.maxToolLength).optional(),
  args: ApprovalArgsSchema.optional(),
});

export const ReasonSchema = z.string().max(APPROVAL_LIMITS.maxReasonLength);

/** `POST /api/approvals`. */
export const CreateApprovalBodySchema = z.strictObject({
  type: ApprovalTypeSchema,
  title: z.string().min(1).max(APPROVAL_LIMITS.maxTitleLength),
  description: z.string().max(APPROVAL_LIMITS.maxDescriptionLength).optional(),
  action: ApprovalActionInputSchema.optional(),
  /** The agent's own confidence, 0–100: an input to the server's policy, never the verdict. */
  confidence: z.number().min(0).max(100).optional(),
  priority: ApprovalPrioritySchema.optional(),
  expiresInSec: z.int().min(1).max(APPROVAL_LIMITS.maxExpiresInSec).optional(),
  onTimeout: ApprovalOnTimeoutSchema.optional(),
  /** Printable ASCII without spaces; scoped to the requester, so two agents never collide. */
  idempotencyKey: z
    .string()
    .min(1)
    .max(APPROVAL_LIMITS.maxIdempotencyKeyLength)
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces")
    .optional(),
});
export type CreateApprovalBody = z.infer<typeof CreateApprovalBodySchema>;

/** `POST /api/approvals/:id/approve|reject` and `DELETE /api/approvals/:id` (cancel); the body is optional. */
export const DecisionBodySchema = z.strictObject({ reason: ReasonSchema.optional() });
export type DecisionBody = z.infer<typeof DecisionBodySchema>;
/** Routes accept no body at all (Fastify reports it as null or undefined) like `{}`. */
export const OptionalDecisionBodySchema = DecisionBodySchema.nullish();

export const BulkDecisionBodySchema = z.strictObject({
  ids: z.array(IdSchema).min(1).max(APPROVAL_LIMITS.maxBulkIds),
  decision: z.enum(["approve", "reject"]),
  reason: ReasonSchema.optional(),
});
export type BulkDecisionBody = z.infer<typeof BulkDecisionBodySchema>;

export const BulkDecisionResultSchema = z.object({
  id: z.string(),
  ok: z.boolean(),
  approval: ApprovalSchema.optional(),
  error: ApiErrorSchema.optional(),
});
export const BulkDecisionResponseSchema = z.object({ results: z.array(BulkDecisionResultSchema) });
export type BulkDecisionResponse = z.infer<typeof BulkDecisionResponseSchema>;

export const ApprovalParamsSchema = z.object({ id: IdSchema });

/** `?status=&type=` as a template sends empty values: those mean "any", not "invalid". */
const emptyAsUndefined = (value: unknown) => (value === "" ? undefined : value);

export const ListApprovalsQuerySchema = z.object({
  status: z.preprocess(emptyAsUndefined, ApprovalStatusSchema.optional()),
  type: z.preprocess(emptyAsUndefined, ApprovalTypeSchema.optional()),
  limit: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number()
      .int()
      .min(1)
      .max(APPROVAL_LIMITS.maxListLimit)
      .default(APPROVAL_LIMITS.defaultListLimit),
  ),
  cursor: z.preprocess(emptyAsUndefined, z.string().max(APPROVAL_LIMITS.maxCursorLength).optional()),
});
export type ListApprovalsQuery = z.infer<typeof ListApprovalsQuerySchema>;

export const ApprovalListResponseSchema = z.object({
  items: z.array(ApprovalSchema),
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: z.string().nullable(),
});
export type ApprovalListResponse = z.infer<typeof ApprovalListResponseSchema>;

/** Longer timeouts are clamped to `maxWaitMs` rather than refused: the client simply polls again. */
export const WaitQuerySchema = z.object({
  timeoutMs: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number()
      .int()
      .min(0)
      .default(APPROVAL_LIMITS.defaultWaitMs)
      .transform((ms) => Math.min(ms, APPROVAL_LIMITS.maxWaitMs)),
  ),
});

export const AuditTrailSchema = z.array(AuditEntrySchema);
