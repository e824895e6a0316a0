import { z } from "zod";
import { LIMITS } from "../limits.js";
import { IdSchema, LabelSchema, LinkSchema, listOf, TextSchema, TimestampSchema } from "./primitives.js";

/** Props of each catalogue widget type (contract.md "Widget types"). Field names are fixed by the contract. */

export const ProjectStatusPropsSchema = z.strictObject({
  name: LabelSchema,
  status: z.enum(["on_track", "at_risk", "off_track", "done"]),
  progress: z.number().min(0).max(100),
  due: TimestampSchema.optional(),
  milestones: listOf(z.strictObject({ title: LabelSchema, done: z.boolean() })).optional(),
});

export const TaskListPropsSchema = z.strictObject({
  tasks: listOf(
    z.strictObject({
      id: IdSchema,
      title: LabelSchema,
      status: z.enum(["todo", "in_progress", "blocked", "done"]),
      assignee: LabelSchema.optional(),
      due: TimestampSchema.optional(),
      priority: z.enum(["low", "normal", "high", "urgent"]).optional(),
    }),
  ),
});

export const MetricsPropsSchema = z.strictObject({
  items: listOf(
    z.strictObject({
      label: LabelSchema,
      value: z.number(),
      unit: z.string().max(32).optional(),
      delta: z.number().optional(),
      trend: listOf(z.number()).optional(),
    }),
  ),
});

export const AlertPropsSchema = z.strictObject({
  severity: z.enum(["info", "success", "warning", "error"]),
  message: TextSchema,
  link: LinkSchema.optional(),
});

export const ActivityPropsSchema = z.strictObject({
  entries: listOf(
    z.strictObject({
      id: IdSchema,
      at: TimestampSchema,
      actor: LabelSchema,
      text: TextSchema,
      link: LinkSchema.optional(),
    }),
  ),
});

export const ChartPropsSchema = z.strictObject({
  kind: z.enum(["line", "bar", "area"]),
  series: z
    .array(
      z.strictObject({
        name: LabelSchema,
        points: listOf(z.strictObject({ x: z.union([z.number(), LabelSchema]), y: z.number() })),
      }),
    )
    .max(20),
});

/** Column keys become object keys of every row, so they follow the id rule (no `__proto__`). */
export const TableColumnKeySchema = IdSchema;

export const TablePropsSchema = z.strictObject({
  columns: z.array(z.strictObject({ key: TableColumnKeySchema, label: LabelSchema })).max(50),
  rows: listOf(z.record(TableColumnKeySchema, z.union([TextSchema, z.number(), z.boolean(), z.null()]))),
});

export const NotePropsSchema = z.strictObject({
  markdown: z.string().max(LIMITS.maxMarkdownLength),
});

export const WIDGET_PROPS_SCHEMAS = {
  project_status: ProjectStatusPropsSchema,
  task_list: TaskListPropsSchema,
  metrics: MetricsPropsSchema,
  alert: AlertPropsSchema,
  activity: ActivityPropsSchema,
  chart: ChartPropsSchema,
  table: TablePropsSchema,
  note: NotePropsSchema,
} as const;

export type WidgetType = keyof typeof WIDGET_PROPS_SCHEMAS;
export const WIDGET_TYPES = Object.keys(WIDGET_PROPS_SCHEMAS) as [WidgetType, ...WidgetType[]];
export const WidgetTypeSchema = z.enum(WIDGET_TYPES);

export type WidgetPropsByType = { [K in WidgetType]: z.infer<(typeof WIDGET_PROPS_SCHEMAS)[K]> };
