import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "./canonical-json.js";

/** Rebuilds every object of a JSON value with its keys in a shuffled order (seeded by fast-check). */
function shuffleKeys(value: unknown, order: (keys: string[]) => string[]): unknown {
  if (Array.isArray(value)) return value.map((item) => shuffleKeys(item, order));
  if (typeof value !== "object" || value === null) return value;
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  // defineProperty, not assignment: fast-check generates "__proto__" keys, and `out["__proto__"] = v` would set
  // the prototype instead of creating the own key that JSON.parse makes.
  for (const key of order(Object.keys(record))) {
    Object.defineProperty(out, key, {
      value: shuffleKeys(record[key], order),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

const json = fc.jsonValue({ noUnicodeString: false });

describe("canonicalJson", () => {
  it("does not depend on key order (property)", () => {
    fc.assert(
      fc.property(json, fc.integer(), (value, seed) => {
        const reversed = shuffleKeys(value, (keys) => [...keys].reverse());
        const rotated = shuffleKeys(value, (keys) =>
          keys.length === 0
            ? keys
            : [...keys.slice(seed % keys.length), ...keys.slice(0, seed % keys.length)],
        );
        expect(canonicalJson(reversed)).toBe(canonicalJson(value));
        expect(canonicalJson(rotated)).toBe(canonicalJson(value));
      }),
      { numRuns: 300 },
    );
  });

  it("parses back to the value JSON.stringify would give (property)", () => {
    fc.assert(
      fc.property(json, (value) => {
        // Compared through JSON.stringify, which like canonicalJson writes -0 as 0.
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });

  it("is what JSON.stringify writes once keys are sorted: no whitespace, sorted by code unit", () => {
    expect(canonicalJson({ b: 1, a: [true, null, "x"], é: { z: 1.5, y: -0 } })).toBe(
      '{"a":[true,null,"x"],"b":1,"é":{"y":0,"z":1.5}}',
    );
    // "B" (0x42) sorts before "a" (0x61); "\u{1F600}" (surrogates 0xD83D…) before "\uFFFF".
    expect(canonicalJson({ a: 1, B: 2, "\uffff": 3, "\u{1F600}": 4 })).toBe(
      '{"B":2,"a":1,"\u{1F600}":4,"\uffff":3}',
    );
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonicalJson("line\nbreak")).toBe('"line\\nbreak"');
    expect(canonicalJson(1e21)).toBe("1e+21");
  });

  it("refuses values that are not plain JSON instead of coercing them", () => {
    expect(() => canonicalJson(Number.NaN)).toThrow(TypeError);
    expect(() => canonicalJson(Number.POSITIVE_INFINITY)).toThrow(TypeError);
    expect(() => canonicalJson([undefined])).toThrow(TypeError);
    expect(() => canonicalJson(new Date(0))).toThrow(TypeError);
    expect(() => canonicalJson(new Map())).toThrow(TypeError);
    expect(() => canonicalJson(10n)).toThrow(TypeError);
    expect(() => canonicalJson(() => 1)).toThrow(TypeError);
    expect(() => canonicalJson(undefined)).toThrow(TypeError);
  });

  it("stops at a hostile nesting depth instead of overflowing the stack", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    expect(() => canonicalJson(deep)).toThrow(/nesting deeper/);
  });
});
