import { describe, expect, it } from "vitest";
import { JsonTooDeepError, PatchPathError } from "./errors/index.js";
import { assertSafeJson, deepEqual } from "./json-value.js";
import { LIMITS } from "./limits.js";

/** `levels` nested arrays around a primitive, built iteratively so huge depths are cheap. */
function nestedArrays(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

function nestedObjects(levels: number): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < levels; i++) value = { k: value };
  return value;
}

describe("assertSafeJson", () => {
  it("accepts primitives, null and ordinary JSON", () => {
    for (const value of [1, "s", true, null, undefined, [], {}, { a: [1, { b: null }] }]) {
      expect(() => assertSafeJson(value)).not.toThrow();
    }
  });

  it(`accepts ${LIMITS.maxJsonDepth} nested containers and rejects one more`, () => {
    expect(() => assertSafeJson(nestedArrays(LIMITS.maxJsonDepth))).not.toThrow();
    expect(() => assertSafeJson(nestedObjects(LIMITS.maxJsonDepth))).not.toThrow();
    expect(() => assertSafeJson(nestedArrays(LIMITS.maxJsonDepth + 1))).toThrow(JsonTooDeepError);
    expect(() => assertSafeJson(nestedObjects(LIMITS.maxJsonDepth + 1))).toThrow(JsonTooDeepError);
  });

  it("honours a custom maxDepth", () => {
    expect(() => assertSafeJson(nestedObjects(2), 2)).not.toThrow();
    expect(() => assertSafeJson(nestedObjects(3), 2)).toThrow(JsonTooDeepError);
  });

  it("rejects a 100 000-deep value with JsonTooDeepError, not a stack overflow", () => {
    let caught: unknown;
    try {
      assertSafeJson(nestedArrays(100_000));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(JsonTooDeepError);
    expect((caught as JsonTooDeepError).code).toBe("invalid");
    expect((caught as JsonTooDeepError).details).toEqual({ limit: LIMITS.maxJsonDepth });
  });

  it.each(["__proto__", "constructor", "prototype"])('rejects the key "%s" at any level', (key) => {
    const top = JSON.parse(`{"${key}": {"polluted": true}}`);
    const nested = JSON.parse(`{"a": [1, {"b": {"${key}": 1}}]}`);
    expect(() => assertSafeJson(top)).toThrow(PatchPathError);
    expect(() => assertSafeJson(nested)).toThrow(PatchPathError);
    expect(() => assertSafeJson(nested)).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ path: `/a/1/b/${key}` }) }),
    );
  });

  it("does not reject forbidden names as string values or as parts of keys", () => {
    expect(() => assertSafeJson({ name: "__proto__", list: ["constructor"], my_prototype: 1 })).not.toThrow();
  });
});

describe("deepEqual", () => {
  it("compares primitives by identity", () => {
    expect(deepEqual(1, 1)).toBe(true);
    expect(deepEqual("a", "a")).toBe(true);
    expect(deepEqual(null, null)).toBe(true);
    expect(deepEqual(1, "1")).toBe(false);
    expect(deepEqual(null, {})).toBe(false);
    expect(deepEqual(0, false)).toBe(false);
  });

  it("ignores key order and compares nested values", () => {
    expect(deepEqual({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 })).toBe(true);
    expect(deepEqual({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [2, 1] } })).toBe(false);
  });

  it("distinguishes arrays from objects, lengths, and key sets of equal size", () => {
    expect(deepEqual([1], { 0: 1 })).toBe(false);
    expect(deepEqual({ 0: 1 }, [1])).toBe(false);
    expect(deepEqual([1, 2], [1, 2, 3])).toBe(false);
    expect(deepEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(deepEqual({ a: undefined }, { b: undefined })).toBe(false);
  });
});
