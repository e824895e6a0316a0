import { PatchPathError } from "../errors/index.js";
import { LIMITS } from "../limits.js";

/** RFC 6901: "/a/b~1c" → ["a", "b/c"]. The empty pointer (whole document) is [] . */
export function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/")) throw new PatchPathError(pointer, 'a JSON Pointer starts with "/"');
  const segments = pointer.slice(1).split("/");
  if (segments.length > LIMITS.maxPointerSegments) {
    throw new PatchPathError(pointer, `more than ${LIMITS.maxPointerSegments} segments`);
  }
  return segments.map((raw) => {
    if (/~(?![01])/.test(raw)) throw new PatchPathError(pointer, 'a "~" must be followed by 0 or 1');
    return raw.replace(/~1/g, "/").replace(/~0/g, "~");
  });
}

export function formatPointer(segments: readonly string[]): string {
  return segments.map((s) => `/${s.replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}
