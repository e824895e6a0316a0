import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deepFreeze } from "../__fixtures__/dashboard.js";
import { AgentboardError, PatchApplyError, PatchPathError } from "../errors/index.js";
import { applyJsonPatch, getAtPointer } from "./apply-patch.js";
import { formatPointer } from "./json-pointer.js";
import type { JsonPatchOp } from "./patch-op.js";

type Doc = Record<string, unknown>;

/** Applies to a deep-frozen copy, so any in-place write to the input throws instead of passing silently. */
function apply(doc: Doc, ops: JsonPatchOp[]): Doc {
  return applyJsonPatch(deepFreeze(structuredClone(doc)), ops);
}

function applyError(doc: Doc, ops: JsonPatchOp[]): unknown {
  try {
    apply(doc, ops);
  } catch (error) {
    return error;
  }
  throw new Error("expected the patch to fail");
}

describe("applyJsonPatch: add", () => {
  it("adds an object key", () => {
    expect(apply({ a: 1 }, [{ op: "add", path: "/b", value: 2 }])).toEqual({ a: 1, b: 2 });
  });

  it("adds a nested object key", () => {
    expect(apply({ a: { x: 1 } }, [{ op: "add", path: "/a/y", value: [1] }])).toEqual({
      a: { x: 1, y: [1] },
    });
  });

  it("inserts at an array index, shifting later elements", () => {
    expect(apply({ a: [1, 2, 3] }, [{ op: "add", path: "/a/1", value: 9 }])).toEqual({ a: [1, 9, 2, 3] });
  });

  it("inserts at index === length (end of array)", () => {
    expect(apply({ a: [1, 2] }, [{ op: "add", path: "/a/2", value: 3 }])).toEqual({ a: [1, 2, 3] });
  });

  it('appends with "-"', () => {
    expect(apply({ a: [1, 2] }, [{ op: "add", path: "/a/-", value: { z: 1 } }])).toEqual({
      a: [1, 2, { z: 1 }],
    });
  });

  it("replaces the value of an existing key", () => {
    expect(apply({ a: 1, b: 2 }, [{ op: "add", path: "/a", value: "new" }])).toEqual({ a: "new", b: 2 });
  });

  it("adds null as a value (null is a value, not absence)", () => {
    expect(apply({}, [{ op: "add", path: "/a", value: null }])).toEqual({ a: null });
  });

  it("fails past the end of an array", () => {
    const error = applyError({ a: [1, 2] }, [{ op: "add", path: "/a/3", value: 0 }]);
    expect(error).toBeInstanceOf(PatchApplyError);
    expect((error as PatchApplyError).message).toContain("out of bounds");
  });

  it('rejects leading-zero indices ("01") and non-numeric indices', () => {
    expect(applyError({ a: [1, 2] }, [{ op: "add", path: "/a/01", value: 0 }])).toBeInstanceOf(
      PatchApplyError,
    );
    expect(applyError({ a: [1, 2] }, [{ op: "add", path: "/a/-1", value: 0 }])).toBeInstanceOf(
      PatchApplyError,
    );
    expect(applyError({ a: [1, 2] }, [{ op: "add", path: "/a/1e0", value: 0 }])).toBeInstanceOf(
      PatchApplyError,
    );
  });

  it("fails when a parent does not exist", () => {
    const error = applyError({ a: {} }, [{ op: "add", path: "/a/b/c", value: 1 }]);
    expect(error).toBeInstanceOf(PatchApplyError);
    expect((error as PatchApplyError).message).toContain('"/a/b" does not exist');
  });

  it("fails when a parent is a primitive", () => {
    const error = applyError({ a: "text" }, [{ op: "add", path: "/a/b", value: 1 }]);
    expect(error).toBeInstanceOf(PatchApplyError);
    expect((error as PatchApplyError).message).toContain("is not an object or array");
  });

  it("requires a value", () => {
    const error = applyError({}, [{ op: "add", path: "/a" } as unknown as JsonPatchOp]);
    expect(error).toBeInstanceOf(PatchApplyError);
    expect((error as PatchApplyError).message).toContain('"value" is required');
  });

  it("refuses the document root as a target", () => {
    const error = applyError({ a: 1 }, [{ op: "add", path: "", value: {} }]);
    expect(error).toBeInstanceOf(PatchApplyError);
  });
});

describe("applyJsonPatch: remove", () => {
  it("removes an object key", () => {
    const result = apply({ a: 1, b: 2 }, [{ op: "remove", path: "/a" }]);
    expect(result).toEqual({ b: 2 });
    expect(Object.hasOwn(result, "a")).toBe(false);
  });

  it("removes an array element, shifting later elements", () => {
    expect(apply({ a: [1, 2, 3] }, [{ op: "remove", path: "/a/0" }])).toEqual({ a: [2, 3] });
  });

  it("fails for a missing key", () => {
    const error = applyError({ a: 1 }, [{ op: "remove", path: "/b" }]);
    expect(error).toBeInstanceOf(PatchApplyError);
    expect((error as PatchApplyError).details).toMatchObject({ index: 0, op: "remove", path: "/b" });
  });

  it('fails for an index === length and for "-"', () => {
    expect(applyError({ a: [1] }, [{ op: "remove", path: "/a/1" }])).toBeInstanceOf(PatchApplyError);
    expect(applyError({ a: [1] }, [{ op: "remove", path: "/a/-" }])).toBeInstanceOf(PatchApplyError);
  });

  it("does not treat inherited properties as present", () => {
    expect(applyError({}, [{ op: "remove", path: "/toString" }])).toBeInstanceOf(PatchApplyError);
  });
});

describe("applyJsonPatch: replace", () => {
  it("replaces an object value and an array element", () => {
    expect(
      apply({ a: 1, b: [1, 2] }, [
        { op: "replace", path: "/a", value: { n: 1 } },
        { op: "replace", path: "/b/1", value: 5 },
      ]),
    ).toEqual({ a: { n: 1 }, b: [1, 5] });
  });

  it("fails for a missing key (replace never creates)", () => {
    const error = applyError({ a: 1 }, [{ op: "replace", path: "/b", value: 2 }]);
    expect(error).toBeInstanceOf(PatchApplyError);
    expect((error as PatchApplyError).message).toContain("does not exist");
  });

  it("fails for an out-of-bounds index", () => {
    expect(applyError({ a: [1] }, [{ op: "replace", path: "/a/1", value: 2 }])).toBeInstanceOf(
      PatchApplyError,
    );
  });
});

describe("applyJsonPatch: move", () => {
  it("moves an object value to a new key", () => {
    expect(apply({ a: { x: 1 }, b: {} }, [{ op: "move", from: "/a/x", path: "/b/y" }])).toEqual({
      a: {},
      b: { y: 1 },
    });
  });

  it("moves an array element (remove first, then add)", () => {
    expect(apply({ a: [1, 2, 3] }, [{ op: "move", from: "/a/0", path: "/a/2" }])).toEqual({ a: [2, 3, 1] });
  });

  it("is a no-op when from equals path", () => {
    expect(apply({ a: 1 }, [{ op: "move", from: "/a", path: "/a" }])).toEqual({ a: 1 });
  });

  it("refuses to move a value into one of its own children", () => {
    const error = applyError({ a: { b: {} } }, [{ op: "move", from: "/a", path: "/a/b/c" }]);
    expect(error).toBeInstanceOf(PatchApplyError);
    expect((error as PatchApplyError).message).toContain("own children");
  });

  it('allows moving "/a" to the sibling "/ab" (prefix is not ancestry)', () => {
    expect(apply({ a: 1 }, [{ op: "move", from: "/a", path: "/ab" }])).toEqual({ ab: 1 });
  });

  it("fails when from does not exist", () => {
    const error = applyError({ a: 1 }, [{ op: "move", from: "/missing", path: "/b" }]);
    expect(error).toBeInstanceOf(PatchApplyError);
    expect((error as PatchApplyError).message).toContain("does not exist");
  });
});

describe("applyJsonPatch: copy", () => {
  it("copies a value and leaves the source", () => {
    expect(apply({ a: { x: [1] } }, [{ op: "copy", from: "/a", path: "/b" }])).toEqual({
      a: { x: [1] },
      b: { x: [1] },
    });
  });

  it("makes a deep copy: mutating the copy does not touch the source", () => {
    const result = applyJsonPatch({ a: { x: [1] } } as Doc, [{ op: "copy", from: "/a", path: "/b" }]);
    const copy = result.b as { x: number[] };
    copy.x.push(2);
    expect(result.a).toEqual({ x: [1] });
    expect(result.b).not.toBe(result.a);
  });

  it("fails when from does not exist", () => {
    expect(applyError({}, [{ op: "copy", from: "/nope", path: "/b" }])).toBeInstanceOf(PatchApplyError);
  });
});

describe("applyJsonPatch: test", () => {
  it("passes on a deep-equal value (key order irrelevant)", () => {
    const doc = { a: { x: 1, y: [1, { z: null }] } };
    const ops: JsonPatchOp[] = [
      { op: "test", path: "/a", value: { y: [1, { z: null }], x: 1 } },
      { op: "add", path: "/ok", value: true },
    ];
    expect(apply(doc, ops)).toEqual({ ...doc, ok: true });
  });

  it("fails on a different value", () => {
    const error = applyError({ a: [1, 2] }, [{ op: "test", path: "/a", value: [2, 1] }]);
    expect(error).toBeInstanceOf(PatchApplyError);
    expect((error as PatchApplyError).message).toContain("test failed");
  });

  it("fails on a missing target, also when testing for null", () => {
    expect(applyError({}, [{ op: "test", path: "/a", value: null }])).toBeInstanceOf(PatchApplyError);
  });

  it("distinguishes an array from an object with index keys", () => {
    expect(applyError({ a: [1] }, [{ op: "test", path: "/a", value: { 0: 1 } }])).toBeInstanceOf(
      PatchApplyError,
    );
  });
});

describe("applyJsonPatch: pointers", () => {
  it('decodes "~1" to "/" and "~0" to "~"', () => {
    const result = apply({ "a/b": 1, "m~n": 2 }, [
      { op: "replace", path: "/a~1b", value: 10 },
      { op: "replace", path: "/m~0n", value: 20 },
    ]);
    expect(result).toEqual({ "a/b": 10, "m~n": 20 });
  });

  it("rejects a pointer without a leading slash", () => {
    expect(applyError({ a: 1 }, [{ op: "replace", path: "a", value: 2 }])).toBeInstanceOf(PatchPathError);
  });

  it('rejects "~2"', () => {
    expect(applyError({ a: 1 }, [{ op: "replace", path: "/~2", value: 2 }])).toBeInstanceOf(PatchPathError);
  });

  it("rejects a pointer with too many segments", () => {
    const path = "/a".repeat(17);
    expect(applyError({ a: 1 }, [{ op: "add", path, value: 2 }])).toBeInstanceOf(PatchPathError);
  });
});

describe("applyJsonPatch: purity and atomicity", () => {
  it("never mutates the input (deep-frozen input, every op kind)", () => {
    const doc = deepFreeze({ a: { b: [1, 2, { c: 3 }] }, d: "x", e: { f: 1 } });
    const before = structuredClone(doc);
    const result = applyJsonPatch(doc as Doc, [
      { op: "add", path: "/a/b/-", value: 4 },
      { op: "remove", path: "/a/b/0" },
      { op: "replace", path: "/a/b/1/c", value: 30 },
      { op: "move", from: "/d", path: "/a/d" },
      { op: "copy", from: "/e", path: "/a/e" },
      { op: "test", path: "/a/e", value: { f: 1 } },
    ]);
    expect(doc).toEqual(before);
    expect(result).toEqual({ a: { b: [2, { c: 30 }, 4], d: "x", e: { f: 1 } }, e: { f: 1 } });
  });

  it("leaves untouched subtrees shared (copy-on-write) and copies the touched path", () => {
    const doc: Doc = { touched: { x: 1 }, untouched: { y: 2 } };
    const result = applyJsonPatch(doc, [{ op: "replace", path: "/touched/x", value: 9 }]);
    expect(result).not.toBe(doc);
    expect(result.touched).not.toBe(doc.touched);
    expect(result.untouched).toBe(doc.untouched);
  });

  it("is atomic: a failing 3rd op throws and the input is unchanged", () => {
    const doc = deepFreeze({ a: 1, list: [1] });
    const before = structuredClone(doc);
    let caught: unknown;
    try {
      applyJsonPatch(doc as Doc, [
        { op: "add", path: "/b", value: 2 },
        { op: "add", path: "/list/-", value: 2 },
        { op: "remove", path: "/missing" },
      ]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PatchApplyError);
    expect(doc).toEqual(before);
  });

  it("names the failing op index, op and path in the error", () => {
    const error = applyError({ a: 1 }, [
      { op: "add", path: "/b", value: 2 },
      { op: "test", path: "/a", value: 1 },
      { op: "replace", path: "/zzz", value: 3 },
    ]) as PatchApplyError;
    expect(error.code).toBe("invalid");
    expect(error.details).toMatchObject({ index: 2, op: "replace", path: "/zzz" });
    expect(error.message).toContain("patch op 2 (replace /zzz)");
  });

  // applyJsonPatch is public API: without its own check, `parent["__proto__"] = value` would swap the
  // result's prototype instead of creating a key.
  it('rejects "__proto__" as a key even without the dashboard schema check', () => {
    const doc = {} as Doc;
    expect(() => applyJsonPatch(doc, [{ op: "add", path: "/__proto__", value: { polluted: true } }])).toThrow(
      PatchPathError,
    );
    expect(() => applyJsonPatch(doc, [{ op: "copy", from: "/constructor", path: "/x" }])).toThrow(
      PatchPathError,
    );
    expect((doc as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("getAtPointer", () => {
  it("reads values, own keys only, and undefined when missing", () => {
    const doc = { a: [{ "b/c": 1 }] };
    expect(getAtPointer(doc, "/a/0/b~1c")).toBe(1);
    expect(getAtPointer(doc, "")).toBe(doc);
    expect(getAtPointer(doc, "/a/1")).toBeUndefined();
    expect(getAtPointer(doc, "/toString")).toBeUndefined();
    expect(getAtPointer(doc, "/a/length")).toBeUndefined();
  });
});

// Random JSON documents and random ops over their real and imaginary paths.
const segmentArb = fc.oneof(
  fc.constantFrom("a", "b", "0", "1", "-", "01", "~", "x/y"),
  fc.string({ maxLength: 3 }),
);
const pointerArb = fc.array(segmentArb, { maxLength: 4 }).map(formatPointer);
const opArb: fc.Arbitrary<JsonPatchOp> = fc.oneof(
  fc.record({ op: fc.constant("add" as const), path: pointerArb, value: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({ op: fc.constant("remove" as const), path: pointerArb }),
  fc.record({ op: fc.constant("replace" as const), path: pointerArb, value: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({ op: fc.constant("move" as const), from: pointerArb, path: pointerArb }),
  fc.record({ op: fc.constant("copy" as const), from: pointerArb, path: pointerArb }),
  fc.record({ op: fc.constant("test" as const), path: pointerArb, value: fc.jsonValue({ maxDepth: 2 }) }),
);
const docArb = fc.dictionary(
  fc.constantFrom("a", "b", "x/y", "~"),
  fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom("a", "b", "0"), fc.jsonValue({ maxDepth: 2 })),
  ),
);

describe("applyJsonPatch: properties", () => {
  it("never mutates the input and only throws AgentboardErrors", () => {
    fc.assert(
      fc.property(docArb, fc.array(opArb, { minLength: 1, maxLength: 6 }), (doc, ops) => {
        const before = structuredClone(doc);
        const frozen = deepFreeze(doc);
        try {
          const result = applyJsonPatch(frozen as Doc, ops);
          expect(typeof result).toBe("object");
        } catch (error) {
          expect(AgentboardError.isInstance(error)).toBe(true);
          expect(error instanceof PatchApplyError || error instanceof PatchPathError).toBe(true);
        }
        expect(frozen).toEqual(before);
      }),
      { numRuns: 500 },
    );
  });

  it("add then remove of a fresh key gives back an equal document", () => {
    fc.assert(
      fc.property(docArb, fc.jsonValue({ maxDepth: 2 }), (doc, value) => {
        const ops: JsonPatchOp[] = [
          { op: "add", path: "/fresh key", value },
          { op: "remove", path: "/fresh key" },
        ];
        expect(applyJsonPatch(deepFreeze(doc), ops)).toEqual(doc);
      }),
    );
  });
});
