import { z } from "zod";
import { DashboardStateSchema } from "../dashboard/dashboard-state.js";
import { IdSchema } from "../dashboard/primitives.js";
import { WidgetSchema } from "../dashboard/widget.js";
import { JsonPatchSchema } from "../json-patch/patch-op.js";

/** `me`, `user:<userId>`, or a shared dashboard slug (contract.md "Dashboards"). */
export const DashboardIdSchema = z.union([
  z.literal("me"),
  z.string().regex(/^user:[A-Za-z0-9_-]{1,64}$/, "user:<userId>"),
  z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "a slug of a-z, 0-9 and -"),
]);

export const RevSchema = z.int().min(0);

/** A dashboard as stored and served: the server owns `rev` and `updatedAt`. */
export const DashboardDocumentSchema = z.object({
  rev: RevSchema,
  schemaVersion: z.int(),
  updatedAt: z.string().nullable(),
  state: DashboardStateSchema,
});
export type DashboardDocument = z.infer<typeof DashboardDocumentSchema>;

export const ClientIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:-]+$/);
export const MutationIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_.:-]+$/);

export const PutStateBodySchema = z.strictObject({ baseRev: RevSchema, state: z.unknown() });
export type PutStateBody = z.infer<typeof PutStateBodySchema>;

export const PatchStateBodySchema = z.strictObject({
  baseRev: RevSchema,
  ops: JsonPatchSchema,
  clientId: ClientIdSchema.optional(),
  mutationId: MutationIdSchema.optional(),
});
export type PatchStateBody = z.infer<typeof PatchStateBodySchema>;

export const RevResponseSchema = z.object({ rev: RevSchema });
export const WidgetResponseSchema = z.object({ rev: RevSchema, widget: WidgetSchema });

export const DashboardParamsSchema = z.object({ id: DashboardIdSchema });
export const WidgetParamsSchema = z.object({ id: DashboardIdSchema, widgetId: IdSchema });

/** Details of a 409 on PATCH: the current rev and the overlapping paths the client must rebase over. */
export const ConflictDetailsSchema = z.object({ rev: RevSchema, paths: z.array(z.string()).optional() });
