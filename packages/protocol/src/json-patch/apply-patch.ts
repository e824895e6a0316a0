import { FORBIDDEN_SEGMENTS } from "../dashboard/primitives.js";
import { PatchApplyError, PatchPathError } from "../errors/index.js";
import { deepEqual } from "../json-value.js";
import { parsePointer } from "./json-pointer.js";
import type { JsonPatchOp } from "./patch-op.js";

type Container = Record<string, unknown> | unknown[];
const MISSING = Symbol("missing");

function isContainer(value: unknown): value is Container {
  return typeof value === "object" && value !== null;
}

function readChild(container: unknown, key: string): unknown {
  if (Array.isArray(container)) {
    if (!/^(0|[1-9][0-9]*)$/.test(key)) return MISSING;
    const index = Number(key);
    return index < container.length ? container[index] : MISSING;
  }
  if (isContainer(container) && Object.hasOwn(container, key))
    return (container as Record<string, unknown>)[key];
  return MISSING;
}

function readAt(doc: unknown, segments: readonly string[]): unknown {
  let current = doc;
  for (const segment of segments) {
    current = readChild(current, segment);
    if (current === MISSING) return MISSING;
  }
  return current;
}

function shallowCopy(container: Container): Container {
  return Array.isArray(container) ? container.slice() : { ...container };
}

/**
 * Copy-on-write: copies only the containers on the path to the target, so applying a patch never mutates the
 * input and costs O(depth) copies instead of a deep clone of the whole document.
 */
function updateAt(
  doc: unknown,
  segments: readonly string[],
  fail: (reason: string) => never,
  mutate: (parent: Container, key: string) => void,
): unknown {
  if (!isContainer(doc)) fail("the document is not an object");
  const root = shallowCopy(doc as Container);
  let parent: Container = root;
  for (let i = 0; i < segments.length - 1; i++) {
    const key = segments[i]!;
    const child = readChild(parent, key);
    if (child === MISSING) fail(`"/${segments.slice(0, i + 1).join("/")}" does not exist`);
    if (!isContainer(child)) fail(`"/${segments.slice(0, i + 1).join("/")}" is not an object or array`);
    const copy = shallowCopy(child as Container);
    if (Array.isArray(parent)) parent[Number(key)] = copy;
    else parent[key] = copy;
    parent = copy;
  }
  mutate(parent, segments[segments.length - 1]!);
  return root;
}

function arrayIndex(array: unknown[], key: string, forInsert: boolean, fail: (r: string) => never): number {
  if (forInsert && key === "-") return array.length;
  if (!/^(0|[1-9][0-9]*)$/.test(key)) fail(`"${key}" is not an array index`);
  const index = Number(key);
  const max = forInsert ? array.length : array.length - 1;
  if (index > max) fail(`index ${index} is out of bounds (length ${array.length})`);
  return index;
}

/** The three writes of RFC 6902 (add, remove, replace) at one path, copy-on-write. */
function writeAt(
  doc: unknown,
  segments: readonly string[],
  op: "add" | "remove" | "replace",
  value: unknown,
  fail: (r: string) => never,
): unknown {
  return updateAt(doc, segments, fail, (parent, key) => {
    if (Array.isArray(parent)) {
      const index = arrayIndex(parent, key, op === "add", fail);
      if (op === "add") parent.splice(index, 0, value);
      else if (op === "remove") parent.splice(index, 1);
      else parent[index] = value;
    } else if (op !== "add" && !Object.hasOwn(parent, key)) fail("the target does not exist");
    else if (op === "remove") delete parent[key];
    else parent[key] = value;
  });
}

/** Parses a pointer and refuses prototype-reaching names even when no schema check ran before. */
function safeSegments(pointer: unknown): string[] {
  if (typeof pointer !== "string")
    throw new PatchPathError(String(pointer), "a JSON Pointer must be a string");
  const segments = parsePointer(pointer);
  for (const segment of segments) {
    if (FORBIDDEN_SEGMENTS.has(segment)) throw new PatchPathError(pointer, `"${segment}" is a reserved name`);
  }
  return segments;
}

/**
 * Applies RFC 6902 operations to a JSON document without mutating it. Pure mechanics: callers check paths
 * against the schema first (`checkPatchPaths`) and validate the result after (`applyDashboardPatch` does both).
 * Throws PatchApplyError naming the op that failed; the whole patch fails atomically.
 */
export function applyJsonPatch<T>(doc: T, ops: readonly JsonPatchOp[]): T {
  let current: unknown = doc;
  ops.forEach((op, index) => {
    const fail = (reason: string): never => {
      throw new PatchApplyError(index, op.op, op.path, reason);
    };
    const path = safeSegments(op.path);
    if (path.length === 0) fail("the document root cannot be the target");
    if ((op.op === "add" || op.op === "replace" || op.op === "test") && op.value === undefined)
      fail('"value" is required');
    switch (op.op) {
      case "add":
      case "replace":
        current = writeAt(current, path, op.op, op.value, fail);
        break;
      case "remove":
        current = writeAt(current, path, "remove", undefined, fail);
        break;
      case "move": {
        const from = safeSegments(op.from);
        if (op.path.startsWith(`${op.from}/`)) fail("cannot move a value into one of its own children");
        const value = readAt(current, from);
        if (value === MISSING) fail(`"from" ${op.from} does not exist`);
        if (op.from === op.path) break;
        current = writeAt(writeAt(current, from, "remove", undefined, fail), path, "add", value, fail);
        break;
      }
      case "copy": {
        const value = readAt(current, safeSegments(op.from));
        if (value === MISSING) fail(`"from" ${op.from} does not exist`);
        current = writeAt(current, path, "add", structuredClone(value), fail);
        break;
      }
      case "test": {
        const value = readAt(current, path);
        if (value === MISSING || !deepEqual(value, op.value)) fail("test failed: the value differs");
        break;
      }
      default:
        fail(`unknown op "${String((op as { op: unknown }).op)}"`);
    }
  });
  return current as T;
}

/** Reads the value at a JSON Pointer, or undefined when nothing is there. */
export function getAtPointer(doc: unknown, pointer: string): unknown {
  const value = readAt(doc, parsePointer(pointer));
  return value === MISSING ? undefined : value;
}
