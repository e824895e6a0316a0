import { parsePointer } from "./json-pointer.js";

/** True when one pointer equals the other or is an ancestor of it ("/a" overlaps "/a/b", not "/ab"). */
export function pathsOverlap(a: string, b: string): boolean {
  const sa = parsePointer(a);
  const sb = parsePointer(b);
  const n = Math.min(sa.length, sb.length);
  for (let i = 0; i < n; i++) if (sa[i] !== sb[i]) return false;
  return true;
}

/** The pointers of `incoming` that overlap any pointer of `changed`, sorted and unique. */
export function overlappingPaths(changed: readonly string[], incoming: readonly string[]): string[] {
  const hits = new Set<string>();
  for (const path of incoming) {
    for (const other of changed) {
      if (pathsOverlap(path, other)) {
        hits.add(path);
        break;
      }
    }
  }
  return [...hits].sort();
}
