import { z } from "zod";
import { FORBIDDEN_SEGMENTS, IdSchema, LabelSchema, TextSchema, TimestampSchema } from "./primitives.js";
import { WIDGET_PROPS_SCHEMAS, type WidgetType } from "./widget-props.js";

export const WidgetStatusSchema = z.enum(["loading", "ready", "empty", "error", "stale"]);
export type WidgetStatus = z.infer<typeof WidgetStatusSchema>;

export const WidgetErrorSchema = z.strictObject({
  message: TextSchema,
  code: z.string().max(64).optional(),
  retryable: z.boolean(),
});

const JsonArgsSchema = z.record(
  z
    .string()
    .max(128)
    .refine((key) => !FORBIDDEN_SEGMENTS.has(key), "is a reserved name"),
  z.unknown(),
);

/** What a widget is bound to, so that Retry can re-run it (contract.md "DashboardState"). */
export const WidgetSourceSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("agent"),
    agentId: IdSchema,
    skill: LabelSchema,
    input: JsonArgsSchema.optional(),
  }),
  z.strictObject({
    kind: z.literal("mcp"),
    server: IdSchema,
    tool: LabelSchema,
    args: JsonArgsSchema.optional(),
  }),
]);

/** Who last wrote a widget: `<kind>:<id>` of the principal, set by the server. */
export const PrincipalRefSchema = z.string().min(1).max(200);

const widgetFields = {
  id: IdSchema,
  title: LabelSchema,
  status: WidgetStatusSchema,
  error: WidgetErrorSchema.optional(),
  source: WidgetSourceSchema.optional(),
  updatedAt: TimestampSchema,
  updatedBy: PrincipalRefSchema,
};

function widgetOf<K extends WidgetType>(type: K) {
  return z.strictObject({ ...widgetFields, type: z.literal(type), props: WIDGET_PROPS_SCHEMAS[type] });
}

export const WidgetSchema = z.discriminatedUnion("type", [
  widgetOf("project_status"),
  widgetOf("task_list"),
  widgetOf("metrics"),
  widgetOf("alert"),
  widgetOf("activity"),
  widgetOf("chart"),
  widgetOf("table"),
  widgetOf("note"),
]);
export type Widget = z.infer<typeof WidgetSchema>;

function widgetInputOf<K extends WidgetType>(type: K) {
  return z.strictObject({
    type: z.literal(type),
    title: LabelSchema,
    props: WIDGET_PROPS_SCHEMAS[type],
    status: WidgetStatusSchema.optional(),
    error: WidgetErrorSchema.optional(),
    source: WidgetSourceSchema.optional(),
    /** Optional: when given it must equal the id in the URL. */
    id: IdSchema.optional(),
  });
}

/** Body of `PUT /api/dashboards/:id/widgets/:widgetId`: a widget without the server-owned fields. */
export const WidgetInputSchema = z.discriminatedUnion("type", [
  widgetInputOf("project_status"),
  widgetInputOf("task_list"),
  widgetInputOf("metrics"),
  widgetInputOf("alert"),
  widgetInputOf("activity"),
  widgetInputOf("chart"),
  widgetInputOf("table"),
  widgetInputOf("note"),
]);
export type WidgetInput = z.infer<typeof WidgetInputSchema>;
