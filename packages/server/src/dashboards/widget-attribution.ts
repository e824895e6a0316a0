import { type DashboardState, formatPointer, type JsonPatchOp } from "@agentboard/protocol";

/**
 * `updatedBy` and `updatedAt` of widgets are the server's (contract.md, "Tokens, members and dashboards
 * directory"): refresh requests are routed to the principal in `updatedBy`, so a writer must not be able to
 * name someone else there. Given the state before a write and the state the writer's ops produced, this
 * returns the ops that put the server's values back:
 * - a widget whose content changed (or that is new) gets `updatedBy: by` and `updatedAt: at`;
 * - a widget whose content is unchanged but whose stamps were rewritten gets its previous stamps back.
 * Widgets the write did not touch are the same objects as before (patches copy on write) and cost nothing.
 * Anything that is not a plain object is left alone: validation refuses it afterwards.
 */
export function attributionOps(
  before: DashboardState,
  after: DashboardState,
  by: string,
  at: string,
): JsonPatchOp[] {
  const widgets: unknown = after.widgets;
  if (widgets === before.widgets || !isPlainObject(widgets)) return [];
  const ops: JsonPatchOp[] = [];
  for (const [id, widget] of Object.entries(widgets)) {
    const previous: unknown = Object.hasOwn(before.widgets, id) ? before.widgets[id] : undefined;
    if (widget === previous || !isPlainObject(widget)) continue;
    const unchanged = isPlainObject(previous) && sameContent(previous, widget);
    const stamps = unchanged
      ? { updatedBy: previous.updatedBy, updatedAt: previous.updatedAt }
      : { updatedBy: by, updatedAt: at };
    for (const field of ["updatedBy", "updatedAt"] as const) {
      // `add` sets a member whether or not it exists (RFC 6902 4.1), so a widget sent without stamps works.
      if (widget[field] !== stamps[field]) {
        ops.push({ op: "add", path: formatPointer(["widgets", id, field]), value: stamps[field] });
      }
    }
  }
  return ops;
}

const STAMPS: ReadonlySet<string> = new Set(["updatedBy", "updatedAt"]);

/** Equal as JSON apart from the stamps. */
function sameContent(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keysA = Object.keys(a).filter((key) => !STAMPS.has(key));
  const keysB = Object.keys(b).filter((key) => !STAMPS.has(key));
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) => Object.hasOwn(b, key) && deepEqual(a[key], b[key]));
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  if (!isPlainObject(a) || !isPlainObject(b) || Array.isArray(b)) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && deepEqual(a[key], b[key]));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
