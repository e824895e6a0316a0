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
});
