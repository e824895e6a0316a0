import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PatchPathError } from "../errors/index.js";
import { LIMITS } from "../limits.js";
import { formatPointer, parsePointer } from "./json-pointer.js";

describe("parsePointer", () => {
  it('parses "" as the whole document and "/" as one empty key', () => {
    expect(parsePointer("")).toEqual([]);
    expect(parsePointer("/")).toEqual([""]);
  });

  it("splits segments and decodes escapes in the RFC 6901 order (~1 before ~0)", () => {
    expect(parsePointer("/a/b~1c/m~0n")).toEqual(["a", "b/c", "m~n"]);
    // "~01" is an escaped "~" followed by "1", never "/".
    expect(parsePointer("/~01")).toEqual(["~1"]);
    expect(parsePointer("/~0~1")).toEqual(["~/"]);
  });

  it("requires a leading slash", () => {
    expect(() => parsePointer("a/b")).toThrow(PatchPathError);
    expect(() => parsePointer("#/a")).toThrow(PatchPathError);
  });

  it('rejects "~" not followed by 0 or 1', () => {
    expect(() => parsePointer("/~2")).toThrow(PatchPathError);
    expect(() => parsePointer("/a~")).toThrow(PatchPathError);
    expect(() => parsePointer("/~a")).toThrow(PatchPathError);
  });

  it(`accepts ${LIMITS.maxPointerSegments} segments and rejects one more`, () => {
    expect(parsePointer("/a".repeat(LIMITS.maxPointerSegments))).toHaveLength(LIMITS.maxPointerSegments);
    let caught: unknown;
    try {
      parsePointer("/a".repeat(LIMITS.maxPointerSegments + 1));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PatchPathError);
    expect((caught as PatchPathError).code).toBe("invalid");
    expect((caught as PatchPathError).message).toContain(`more than ${LIMITS.maxPointerSegments} segments`);
  });
});

describe("formatPointer", () => {
  it("escapes ~ and / and formats [] as the root", () => {
    expect(formatPointer([])).toBe("");
    expect(formatPointer(["a/b", "m~n", ""])).toBe("/a~1b/m~0n/");
  });

  it("round-trips with parsePointer for any segments", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), fc.constantFrom("~", "/", "~1", "~0", "~01")), {
          maxLength: LIMITS.maxPointerSegments,
        }),
        (segments) => {
          expect(parsePointer(formatPointer(segments))).toEqual(segments);
        },
      ),
    );
  });
});
