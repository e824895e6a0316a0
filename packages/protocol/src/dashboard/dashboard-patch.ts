import { StateValidationError } from "../errors/index.js";
import { applyJsonPatch } from "../json-patch/apply-patch.js";
import { formatPointer, parsePointer } from "../json-patch/json-pointer.js";
import { type JsonPatchOp, JsonPatchSchema } from "../json-patch/patch-op.js";
import { checkPathAgainstSchema } from "../json-patch/schema-paths.js";
import { assertSafeJson } from "../json-value.js";
import {
  type DashboardState,
  DashboardStateSchema,
  toValidationIssues,
  validateDashboardStateChange,
} from "./dashboard-state.js";

/** Roots a patch may touch. `schemaVersion` is owned by migrations, never by writers. */
const PATCHABLE_ROOTS: ReadonlySet<string> = new Set(["layout", "widgets", "preferences"]);

/**
 * Checks every pointer of a patch against the DashboardState schema and every value for forbidden keys and
 * depth, and returns the patch's conflict paths: the pointers it reads or writes, each cut at the first array
 * element. Cutting there is deliberate: an insert or remove shifts every later index, so two edits of one
 * array can only be rebased safely when neither touches that array.
 */
export function checkDashboardPatch(ops: readonly JsonPatchOp[]): string[] {
  // Callers may hand over unchecked input (SDK, MCP tools): the op shapes are verified here too.
  const parsed = JsonPatchSchema.safeParse(ops);
  if (!parsed.success) throw new StateValidationError(toValidationIssues(parsed.error), "JSON Patch");
  const paths = new Set<string>();
  const visit = (pointer: string) => {
    const segments = parsePointer(pointer);
    const { firstArrayIndexAt } = checkPathAgainstSchema(
      pointer,
      segments,
      DashboardStateSchema,
      PATCHABLE_ROOTS,
    );
    paths.add(firstArrayIndexAt === -1 ? pointer : formatPointer(segments.slice(0, firstArrayIndexAt)));
  };
  for (const op of ops) {
    visit(op.path);
    if (op.op === "move" || op.op === "copy") visit(op.from);
    if ("value" in op) assertSafeJson(op.value);
  }
  return [...paths].sort();
}

/**
 * The one way to change a dashboard: path check, apply without mutating the input, validate the result
 * (schema + 256 KiB cap; parts the patch left untouched are known valid, see validateDashboardStateChange).
 * Throws PatchPathError / PatchApplyError / StateValidationError / DocumentTooLargeError; on any throw the
 * caller's state is untouched.
 */
export function applyDashboardPatch(
  state: DashboardState,
  ops: readonly JsonPatchOp[],
): { state: DashboardState; paths: string[] } {
  const paths = checkDashboardPatch(ops);
  return { state: applyCheckedDashboardPatch(state, ops), paths };
}

/**
 * applyDashboardPatch for ops that already passed checkDashboardPatch (path and value checks are not
 * repeated): the server checks a patch before queueing it and must not pay for the check twice.
 */
export function applyCheckedDashboardPatch(
  state: DashboardState,
  ops: readonly JsonPatchOp[],
): DashboardState {
  return validateDashboardStateChange(state, applyJsonPatch(state, ops));
}
