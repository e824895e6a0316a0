import { FORBIDDEN_SEGMENTS } from "./dashboard/primitives.js";
import { JsonTooDeepError, PatchPathError } from "./errors/index.js";
import { LIMITS } from "./limits.js";

/**
 * Walks a parsed JSON value once, iteratively (no recursion, so a hostile 100k-deep value cannot overflow
 * the stack), and rejects nesting deeper than `maxDepth` and any forbidden key (`__proto__`, `prototype`,
 * `constructor`) at any level. Run on every ingress value before it is merged into a document.
 */
export function assertSafeJson(value: unknown, maxDepth: number = LIMITS.maxJsonDepth): void {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value, depth: 0, path: "" }];
  while (stack.length > 0) {
    const { value: current, depth, path } = stack.pop()!;
    if (typeof current !== "object" || current === null) continue;
    if (depth >= maxDepth) throw new JsonTooDeepError(maxDepth);
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++)
        stack.push({ value: current[i], depth: depth + 1, path: `${path}/${i}` });
      continue;
    }
    for (const key of Object.keys(current)) {
      if (FORBIDDEN_SEGMENTS.has(key))
        throw new PatchPathError(`${path}/${key}`, `"${key}" is a reserved name`);
      stack.push({
        value: (current as Record<string, unknown>)[key],
        depth: depth + 1,
        path: `${path}/${key}`,
      });
    }
  }
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k) =>
      Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}
