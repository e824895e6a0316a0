import { z } from "zod";
import {
  DocumentTooLargeError,
  PatchPathError,
  StateValidationError,
  type ValidationIssue,
} from "../errors/index.js";
import { assertSafeJson } from "../json-value.js";
import { LIMITS } from "../limits.js";
import { IdSchema } from "./primitives.js";
import { WidgetSchema } from "./widget.js";

export const CURRENT_SCHEMA_VERSION = 1;
export const GRID_COLUMNS = 12;

export const LayoutItemSchema = z.strictObject({
  widgetId: IdSchema,
  x: z
    .int()
    .min(0)
    .max(GRID_COLUMNS - 1),
  y: z.int().min(0).max(10_000),
  w: z.int().min(1).max(GRID_COLUMNS),
  h: z.int().min(1).max(100),
});
export type LayoutItem = z.infer<typeof LayoutItemSchema>;

export const LayoutSchema = z.strictObject({
  columns: z.literal(GRID_COLUMNS),
  items: z.array(LayoutItemSchema).max(LIMITS.maxWidgets),
});

export const PreferencesSchema = z.strictObject({
  theme: z.enum(["light", "dark", "system"]).optional(),
  density: z.enum(["comfortable", "compact"]).optional(),
});

export const DashboardStateSchema = z
  .strictObject({
    schemaVersion: z.literal(CURRENT_SCHEMA_VERSION),
    layout: LayoutSchema,
    widgets: z.record(IdSchema, WidgetSchema),
    preferences: PreferencesSchema,
  })
  .superRefine((state, ctx) => {
    const ids = Object.keys(state.widgets);
    if (ids.length > LIMITS.maxWidgets) {
      ctx.addIssue({ code: "custom", path: ["widgets"], message: `at most ${LIMITS.maxWidgets} widgets` });
    }
    for (const id of ids) {
      if (state.widgets[id]?.id !== id) {
        ctx.addIssue({
          code: "custom",
          path: ["widgets", id, "id"],
          message: "must equal its key in widgets",
        });
      }
    }
    // A layout item for a widget that does not exist would render an empty hole; two items for one widget
    // would render it twice.
    const seen = new Set<string>();
    state.layout.items.forEach((item, index) => {
      if (!Object.hasOwn(state.widgets, item.widgetId)) {
        ctx.addIssue({
          code: "custom",
          path: ["layout", "items", index, "widgetId"],
          message: "unknown widget",
        });
      }
      if (seen.has(item.widgetId)) {
        ctx.addIssue({
          code: "custom",
          path: ["layout", "items", index, "widgetId"],
          message: "duplicate widget",
        });
      }
      if (item.x + item.w > GRID_COLUMNS) {
        ctx.addIssue({
          code: "custom",
          path: ["layout", "items", index, "w"],
          message: "x + w exceeds the grid",
        });
      }
      seen.add(item.widgetId);
    });
  });
export type DashboardState = z.infer<typeof DashboardStateSchema>;

export function defaultDashboardState(): DashboardState {
  return {
    schemaVersion: CURRENT_SCHEMA_VERSION,
    layout: { columns: GRID_COLUMNS, items: [] },
    widgets: {},
    preferences: {},
  };
}

/** Zod issue paths as JSON Pointers, which is how clients address the same places in patches. */
export function toValidationIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.slice(0, 20).map((issue) => ({
    path: issue.path.length
      ? `/${issue.path.map((s) => String(s).replace(/~/g, "~0").replace(/\//g, "~1")).join("/")}`
      : "",
    message: issue.message,
  }));
}

const encoder = new TextEncoder();

/** UTF-8 size of the JSON text of a value: the unit of the document cap. */
export function jsonByteLength(value: unknown): number {
  return encoder.encode(JSON.stringify(value)).byteLength;
}

/**
 * Validates a current-version state: depth and forbidden keys anywhere (zod would silently drop a
 * `__proto__` key inside free-form args rather than refuse it), the schema, then the byte cap.
 */
export function validateDashboardState(value: unknown): DashboardState {
  try {
    assertSafeJson(value);
  } catch (error) {
    if (error instanceof PatchPathError) {
      const { path, reason } = error.details as { path: string; reason: string };
      throw new StateValidationError([{ path, message: reason }]);
    }
    throw error;
  }
  const parsed = DashboardStateSchema.safeParse(value);
  if (!parsed.success) throw new StateValidationError(toValidationIssues(parsed.error));
  const bytes = jsonByteLength(parsed.data);
  if (bytes > LIMITS.maxDocumentBytes) throw new DocumentTooLargeError(bytes, LIMITS.maxDocumentBytes);
  return parsed.data;
}
