import { z } from "zod";
import { FORBIDDEN_SEGMENTS } from "../dashboard/primitives.js";
import { PatchPathError } from "../errors/index.js";

const ARRAY_INDEX = /^(0|[1-9][0-9]{0,5})$/;

export interface PathCheck {
  /** Index of the first segment that addresses an array element ("-" or a number), or -1. */
  firstArrayIndexAt: number;
}

/** Strips wrappers that do not change what keys/indices a value may have. */
function unwrap(schema: z.ZodType): z.ZodType[] {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault) {
    return unwrap(schema.unwrap() as z.ZodType);
  }
  if (schema instanceof z.ZodPipe) return unwrap(schema.in as z.ZodType);
  if (schema instanceof z.ZodUnion) return (schema.options as z.ZodType[]).flatMap(unwrap);
  return [schema];
}

/** The child schemas a segment can lead to from `schema`, or [] if the schema has no such child. */
function childSchemas(schema: z.ZodType, segment: string): { children: z.ZodType[]; arrayIndex: boolean } {
  if (schema instanceof z.ZodObject) {
    const shape = schema.shape as Record<string, z.ZodType>;
    return { children: Object.hasOwn(shape, segment) ? [shape[segment]!] : [], arrayIndex: false };
  }
  if (schema instanceof z.ZodRecord) {
    const ok = (schema.keyType as z.ZodType).safeParse(segment).success;
    return { children: ok ? [schema.valueType as z.ZodType] : [], arrayIndex: false };
  }
  if (schema instanceof z.ZodArray) {
    const ok = segment === "-" || ARRAY_INDEX.test(segment);
    return { children: ok ? [schema.element as z.ZodType] : [], arrayIndex: true };
  }
  if (schema instanceof z.ZodUnknown || schema instanceof z.ZodAny) {
    // Free-form JSON (e.g. a widget source's args): any key, still bounded by depth and forbidden names.
    return { children: [schema], arrayIndex: ARRAY_INDEX.test(segment) || segment === "-" };
  }
  return { children: [], arrayIndex: false };
}

/**
 * Checks a parsed JSON Pointer segment by segment against a schema: every segment must name a key the
 * schema allows at that depth (a known object key, a record key that passes the record's key schema, an
 * array index). Forbidden names are rejected before anything else. `roots` narrows the allowed first segment
 * (so server-owned fields such as `schemaVersion` are never patched).
 */
export function checkPathAgainstSchema(
  pointer: string,
  segments: readonly string[],
  root: z.ZodType,
  roots: ReadonlySet<string>,
): PathCheck {
  for (const segment of segments) {
    if (FORBIDDEN_SEGMENTS.has(segment)) throw new PatchPathError(pointer, `"${segment}" is a reserved name`);
  }
  if (segments.length === 0)
    throw new PatchPathError(pointer, "the whole document cannot be patched; use PUT");
  if (!roots.has(segments[0]!)) {
    throw new PatchPathError(pointer, `unknown root "${segments[0]}" (allowed: ${[...roots].join(", ")})`);
  }
  let current = unwrap(root);
  let firstArrayIndexAt = -1;
  segments.forEach((segment, depth) => {
    const next: z.ZodType[] = [];
    for (const schema of current) {
      const { children, arrayIndex } = childSchemas(schema, segment);
      if (children.length > 0 && arrayIndex && firstArrayIndexAt === -1) firstArrayIndexAt = depth;
      for (const child of children) next.push(...unwrap(child));
    }
    if (next.length === 0) {
      const where = depth === 0 ? "at the root" : `under "/${segments.slice(0, depth).join("/")}"`;
      throw new PatchPathError(pointer, `"${segment}" is not a known field ${where}`);
    }
    current = next;
  });
  return { firstArrayIndexAt };
}
