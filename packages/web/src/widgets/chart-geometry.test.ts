import { describe, expect, it } from "vitest";
import { areaPath, type Box, barRects, linePath, valueScale, xFor, yFor } from "./chart-geometry";

const box: Box = { width: 100, height: 50, padding: { top: 0, right: 0, bottom: 0, left: 0 } };

describe("chart geometry", () => {
  it("scales include zero and never collapse", () => {
    expect(valueScale([5, 10])).toEqual({ min: 0, max: 10 });
    expect(valueScale([-5, 10])).toEqual({ min: -5, max: 10 });
    expect(valueScale([0, 0])).toEqual({ min: 0, max: 1 });
    expect(valueScale([])).toEqual({ min: 0, max: 1 });
  });
  it("maps values to SVG coordinates (y grows downwards)", () => {
    const scale = { min: 0, max: 10 };
    expect(yFor(10, scale, box)).toBe(0);
    expect(yFor(0, scale, box)).toBe(50);
    expect(xFor(0, 3, box)).toBe(0);
    expect(xFor(2, 3, box)).toBe(100);
    expect(xFor(0, 1, box)).toBe(50);
    expect(linePath([0, 10], scale, box)).toBe("M0,50 L100,0");
    expect(areaPath([0, 10], scale, box)).toBe("M0,50 L100,0 L100,50 L0,50 Z");
  });
  it("groups bars per category", () => {
    const rects = barRects(
      [
        [10, 5],
        [5, 10],
      ],
      { min: 0, max: 10 },
      box,
    );
    expect(rects).toHaveLength(2);
    expect(rects[0]![0]).toMatchObject({ y: 0, height: 50 });
    expect(rects[1]![0]!.x).toBeGreaterThan(rects[0]![0]!.x);
    expect(rects[0]![1]!.x).toBeGreaterThanOrEqual(50);
  });

  describe("with magnitudes whose differences overflow a double", () => {
    const HUGE = 1.7e308;
    const MAX = Number.MAX_VALUE;
    const numbersIn = (path: string) => (path.match(/-?[\d.e+]+|NaN|Infinity/g) ?? []).map(Number);
    const expectFiniteWithin = (values: readonly number[], low: number, high: number) => {
      expect(values.length).toBeGreaterThan(0);
      for (const value of values) {
        expect(Number.isFinite(value), `${value}`).toBe(true);
        expect(value).toBeGreaterThanOrEqual(low);
        expect(value).toBeLessThanOrEqual(high);
      }
    };

    it.each([
      ["±1.7e308", [HUGE, -HUGE], "M0,0 L100,50"],
      ["±Number.MAX_VALUE", [-MAX, MAX], "M0,50 L100,0"],
      ["MAX_VALUE and -MAX_VALUE/2", [MAX, -MAX / 2], "M0,0 L100,50"],
    ])("puts %s at the edges of the box", (_name, values, path) => {
      const scale = valueScale(values);
      expect(scale).toEqual({ min: Math.min(...values), max: Math.max(...values) });
      expect(yFor(scale.max, scale, box)).toBe(0);
      expect(yFor(scale.min, scale, box)).toBe(50);
      expect(linePath(values, scale, box)).toBe(path);
    });

    it("places zero and the midpoint where they belong on a ±MAX_VALUE scale", () => {
      const scale = { min: -MAX, max: MAX };
      expect(yFor(0, scale, box)).toBe(25);
      expect(yFor(MAX / 2, scale, box)).toBe(12.5);
      expect(yFor(-MAX / 2, scale, box)).toBe(37.5);
    });

    it("keeps mixed huge and tiny values finite in line, area and bar geometry", () => {
      const values = [HUGE, -HUGE, 5e-324, -Number.MIN_VALUE, 1, -1e-300, MAX, 0];
      const scale = valueScale(values);
      expectFiniteWithin(numbersIn(linePath(values, scale, box)), 0, 100);
      expectFiniteWithin(numbersIn(areaPath(values, scale, box)), 0, 100);
      const rects = barRects([values, values.map((v) => -v)], scale, box).flat();
      expectFiniteWithin(
        rects.flatMap((r) => [r.x, r.y, r.width, r.height]),
        0,
        100,
      );
      // Tiny values are indistinguishable from zero on such a scale: they sit on zero's line.
      const zero = yFor(0, scale, box);
      expect(zero).toBeGreaterThan(24);
      expect(zero).toBeLessThan(26);
      expect(yFor(5e-324, scale, box)).toBe(zero);
      expect(yFor(-1e-300, scale, box)).toBe(zero);
    });

    it("scales a sparkline-style range (min and max of the values, not from zero) finitely", () => {
      const values = [-MAX, -HUGE, 0, HUGE, MAX];
      const scale = { min: Math.min(...values), max: Math.max(...values) };
      // 1.7e308 is 94.6 % of MAX_VALUE: 50 * (1 - (1.7e308 + MAX) / (2 * MAX)) = 1.36.
      expect(linePath(values, scale, box)).toBe("M0,50 L25,48.64 L50,25 L75,1.36 L100,0");
    });

    it("renders ordinary ranges exactly as the plain formula does", () => {
      const scale = { min: -7.3, max: 1234.5 };
      for (const value of [-7.3, 0, 0.1, Math.PI, 999.99, 1234.5]) {
        const plain = Math.round(50 * (1 - (value - scale.min) / (scale.max - scale.min)) * 100) / 100;
        expect(yFor(value, scale, box)).toBe(plain);
      }
    });
  });
});
