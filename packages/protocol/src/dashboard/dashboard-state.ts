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

/**
 * The rules between parts of a state that the part schemas cannot see: widget count, each widget's id equals
 * its key, and every layout item names an existing widget once and fits the grid.
 */
function crossReferenceIssues(state: {
  layout: { items: ReadonlyArray<{ widgetId: string; x: number; w: number }> };
  widgets: Readonly<Record<string, { id: string } | undefined>>;
}): Array<{ path: Array<string | number>; message: string }> {
  const issues: Array<{ path: Array<string | number>; message: string }> = [];
  const ids = Object.keys(state.widgets);
  if (ids.length > LIMITS.maxWidgets)
    issues.push({ path: ["widgets"], message: `at most ${LIMITS.maxWidgets} widgets` });
  for (const id of ids) {
    if (state.widgets[id]?.id !== id)
      issues.push({ path: ["widgets", id, "id"], message: "must equal its key in widgets" });
  }
  // A layout item for a widget that does not exist would render an empty hole; two items for one widget
  // would render it twice.
  const seen = new Set<string>();
  state.layout.items.forEach((item, index) => {
    if (!Object.hasOwn(state.widgets, item.widgetId))
      issues.push({ path: ["layout", "items", index, "widgetId"], message: "unknown widget" });
    if (seen.has(item.widgetId))
      issues.push({ path: ["layout", "items", index, "widgetId"], message: "duplicate widget" });
    if (item.x + item.w > GRID_COLUMNS)
      issues.push({ path: ["layout", "items", index, "w"], message: "x + w exceeds the grid" });
    seen.add(item.widgetId);
  });
  return issues;
}

export const DashboardStateSchema = z
  .strictObject({
    schemaVersion: z.literal(CURRENT_SCHEMA_VERSION),
    layout: LayoutSchema,
    widgets: z.record(IdSchema, WidgetSchema),
    preferences: PreferencesSchema,
  })
  .superRefine((state, ctx) => {
    for (const issue of crossReferenceIssues(state)) ctx.addIssue({ code: "custom", ...issue });
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

/** Node's Buffer counts UTF-8 bytes without encoding a copy; browsers encode. */
const nodeBuffer = (globalThis as { Buffer?: { byteLength(text: string, encoding: "utf8"): number } }).Buffer;
const utf8Length = (text: string): number =>
  nodeBuffer ? nodeBuffer.byteLength(text, "utf8") : encoder.encode(text).byteLength;

/** UTF-8 size of the JSON text of a value: the unit of the document cap. */
export function jsonByteLength(value: unknown): number {
  return utf8Length(JSON.stringify(value));
}

/**
 * The JSON text of patched states, from their size check until a store takes it for the commit: a write
 * serialises its state once, however large the document. Only written states are kept, and only until taken.
 */
const textToCommit = new WeakMap<object, string>();

/** The JSON text of a state to commit: the one its size check made, or a new one. */
export function takeDashboardStateJson(state: DashboardState): string {
  const json = textToCommit.get(state);
  if (json === undefined) return JSON.stringify(state);
  textToCommit.delete(state);
  return json;
}

/**
 * Throws DocumentTooLargeError over the cap; encodes only when the text could be over it (≤ 3 bytes per
 * UTF-16 unit). `keepText` keeps the text for takeDashboardStateJson.
 */
function assertWithinDocumentCap(value: unknown, keepText = false): void {
  const json = JSON.stringify(value);
  if (json.length * 3 > LIMITS.maxDocumentBytes) {
    const bytes = utf8Length(json);
    if (bytes > LIMITS.maxDocumentBytes) throw new DocumentTooLargeError(bytes, LIMITS.maxDocumentBytes);
  }
  if (keepText && typeof value === "object" && value !== null) textToCommit.set(value, json);
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
  assertWithinDocumentCap(parsed.data);
  return parsed.data;
}

const ROOT_KEYS = ["layout", "preferences", "schemaVersion", "widgets"];

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * validateDashboardState for the result of a patch on a valid state, checking only what the patch replaced.
 * Patches copy on write, so a part that is the same object as in `previous` is unchanged and was valid; the
 * changed widgets, a changed layout or preferences, the rules between parts and the size cap are checked
 * again. None of the schemas transform, so a state that passes is returned as it is. Any failure re-runs the
 * full validation, so errors (and the decision) are exactly validateDashboardState's: for a 100 KB dashboard
 * that validation is most of a write's CPU, and a widget edit no longer pays for the whole document.
 */
export function validateDashboardStateChange(previous: DashboardState, next: unknown): DashboardState {
  try {
    if (checkChangedParts(previous, next)) return next as DashboardState;
  } catch {
    // Reported by the full validation below, with its paths and messages.
  }
  return validateDashboardState(next);
}

/** True when `next` is valid given that `previous` was; false or a throw when it needs the full check. */
function checkChangedParts(previous: DashboardState, next: unknown): boolean {
  if (!isPlainObject(next) || next.schemaVersion !== CURRENT_SCHEMA_VERSION) return false;
  const keys = Object.keys(next).sort();
  if (keys.length !== ROOT_KEYS.length || keys.some((key, i) => key !== ROOT_KEYS[i])) return false;
  // assertSafeJson measures depth from the document root: a widget is 2 levels down, layout 1.
  if (next.layout !== previous.layout) {
    assertSafeJson(next.layout, LIMITS.maxJsonDepth - 1);
    if (!LayoutSchema.safeParse(next.layout).success) return false;
  }
  if (next.preferences !== previous.preferences) {
    assertSafeJson(next.preferences, LIMITS.maxJsonDepth - 1);
    if (!PreferencesSchema.safeParse(next.preferences).success) return false;
  }
  const widgets = next.widgets;
  if (widgets !== previous.widgets) {
    if (!isPlainObject(widgets)) return false;
    for (const [id, widget] of Object.entries(widgets)) {
      if (Object.hasOwn(previous.widgets, id) && widget === previous.widgets[id]) continue;
      if (!IdSchema.safeParse(id).success) return false;
      assertSafeJson(widget, LIMITS.maxJsonDepth - 2);
      if (!WidgetSchema.safeParse(widget).success) return false;
    }
  }
  const state = next as DashboardState;
  if (crossReferenceIssues(state).length > 0) return false;
  assertWithinDocumentCap(state, true);
  return true;
}
