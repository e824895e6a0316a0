import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { overlappingPaths, pathsOverlap } from "./conflict-paths.js";
import { formatPointer } from "./json-pointer.js";

describe("pathsOverlap", () => {
  it.each([
    ["equal paths overlap", "/widgets/a/title", "/widgets/a/title", true],
    ["an ancestor overlaps its descendant", "/widgets/a", "/widgets/a/props/tasks", true],
    ["a descendant overlaps its ancestor", "/widgets/a/props/tasks", "/widgets/a", true],
    ['siblings sharing a string prefix ("/a" vs "/ab") do not', "/a", "/ab", false],
    ["siblings sharing a string prefix deeper down do not", "/widgets/a", "/widgets/ab/title", false],
    ["siblings do not", "/widgets/a/title", "/widgets/a/props", false],
    ['"/a~1b" is key "a/b", not "/a/b"', "/a~1b", "/a/b", false],
    ['"/a~1b" overlaps its child', "/a~1b", "/a~1b/c", true],
    ['the root "" overlaps a path', "", "/widgets/a", true],
    ['a path overlaps the root ""', "/layout/items", "", true],
    ['the root "" overlaps itself', "", "", true],
  ] as const)("%s", (_what, a, b, overlap) => {
    expect(pathsOverlap(a, b)).toBe(overlap);
  });
});

describe("overlappingPaths", () => {
  it("returns the incoming paths that overlap a changed path, sorted and unique", () => {
    const changed = ["/widgets/a", "/layout/items"];
    const incoming = [
      "/widgets/a/title",
      "/preferences/theme",
      "/layout/items",
      "/widgets/a/title",
      "/layout",
    ];
    expect(overlappingPaths(changed, incoming)).toEqual(["/layout", "/layout/items", "/widgets/a/title"]);
  });

  it("returns [] when nothing overlaps or either side is empty", () => {
    expect(overlappingPaths(["/widgets/a"], ["/widgets/ab", "/preferences"])).toEqual([]);
    expect(overlappingPaths([], ["/widgets/a"])).toEqual([]);
    expect(overlappingPaths(["/widgets/a"], [])).toEqual([]);
  });
});

// Few distinct segments so that random pairs share prefixes often.
const segmentsArb = fc.array(fc.constantFrom("a", "b", "ab", "a/b", "~", "0", ""), { maxLength: 5 });

describe("pathsOverlap properties", () => {
  it("is reflexive", () => {
    fc.assert(
      fc.property(segmentsArb, (s) => {
        expect(pathsOverlap(formatPointer(s), formatPointer(s))).toBe(true);
      }),
    );
  });

  it("is symmetric", () => {
    fc.assert(
      fc.property(segmentsArb, segmentsArb, (a, b) => {
        const pa = formatPointer(a);
        const pb = formatPointer(b);
        expect(pathsOverlap(pa, pb)).toBe(pathsOverlap(pb, pa));
      }),
    );
  });

  it("is true exactly when one segment list is a prefix of the other", () => {
    const isPrefix = (p: string[], q: string[]) => p.length <= q.length && p.every((s, i) => s === q[i]);
    fc.assert(
      fc.property(segmentsArb, segmentsArb, (a, b) => {
        expect(pathsOverlap(formatPointer(a), formatPointer(b))).toBe(isPrefix(a, b) || isPrefix(b, a));
      }),
    );
  });

  it("overlappingPaths output is sorted, unique, a subset of incoming, and each hit overlaps a changed path", () => {
    fc.assert(
      fc.property(
        fc.array(segmentsArb, { maxLength: 4 }),
        fc.array(segmentsArb, { maxLength: 6 }),
        (c, i) => {
          const changed = c.map(formatPointer);
          const incoming = i.map(formatPointer);
          const hits = overlappingPaths(changed, incoming);
          expect(hits).toEqual([...new Set(hits)].sort());
          for (const hit of hits) {
            expect(incoming).toContain(hit);
            expect(changed.some((p) => pathsOverlap(hit, p))).toBe(true);
          }
          for (const path of incoming) {
            if (changed.some((p) => pathsOverlap(path, p))) expect(hits).toContain(path);
          }
        },
      ),
    );
  });
});
