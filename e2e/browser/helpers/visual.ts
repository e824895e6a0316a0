import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pixelmatch from "pixelmatch";
import { PNG } from "pngjs";

export const BASELINE_DIR = fileURLToPath(new URL("../../baselines/", import.meta.url));
/** Failed comparisons leave the actual image and the diff here (ignored by git). */
export const OUTPUT_DIR = fileURLToPath(new URL("../../.out/visual/", import.meta.url));

/** `UPDATE_BASELINES=1 npx vitest run e2e/browser/visual.test.ts` rewrites the committed images. */
export const UPDATING = process.env.UPDATE_BASELINES === "1";

/**
 * Per-pixel colour tolerance (pixelmatch's YIQ threshold) and how many pixels may differ: 0.02% of the image
 * and at least 4. Same-machine rendering is pixel-identical, so this only absorbs text anti-aliasing noise;
 * any visible change of a widget (a label, a bar, a colour) is far above it.
 */
export const PIXEL_THRESHOLD = 0.1;
export const MAX_DIFF_RATIO = 0.0002;
export const MIN_DIFF_PIXELS = 4;

export interface Comparison {
  name: string;
  ok: boolean;
  diffPixels: number;
  allowed: number;
  message: string;
}

/** Cuts a rectangle out of a PNG (page coordinates, CSS pixels at scale 1). */
export function crop(source: PNG, box: { x: number; y: number; width: number; height: number }): PNG {
  const x = Math.max(0, Math.round(box.x));
  const y = Math.max(0, Math.round(box.y));
  const width = Math.min(source.width - x, Math.round(box.width));
  const height = Math.min(source.height - y, Math.round(box.height));
  const out = new PNG({ width, height });
  PNG.bitblt(source, out, x, y, width, height, 0, 0);
  return out;
}

/** Compares `actual` with the baseline `name`.png; in update mode writes it instead. */
export function compareWithBaseline(name: string, actual: PNG, options: { save?: boolean } = {}): Comparison {
  const file = join(BASELINE_DIR, `${name}.png`);
  if (UPDATING) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, PNG.sync.write(actual));
    return { name, ok: true, diffPixels: 0, allowed: 0, message: `${name}: baseline written` };
  }
  if (!existsSync(file)) {
    return {
      name,
      ok: false,
      diffPixels: -1,
      allowed: 0,
      message: `${name}: no baseline at ${file}; run with UPDATE_BASELINES=1 to create it`,
    };
  }
  return compareImages(name, PNG.sync.read(readFileSync(file)), actual, options);
}

export function compareImages(
  name: string,
  expected: PNG,
  actual: PNG,
  options: { save?: boolean } = {},
): Comparison {
  const save = options.save ?? true;
  const allowed = Math.max(MIN_DIFF_PIXELS, Math.floor(expected.width * expected.height * MAX_DIFF_RATIO));
  if (expected.width !== actual.width || expected.height !== actual.height) {
    if (save) saveFailure(name, actual);
    return {
      name,
      ok: false,
      diffPixels: -1,
      allowed,
      message: `${name}: size ${actual.width}×${actual.height} differs from the baseline's ${expected.width}×${expected.height}`,
    };
  }
  const diff = new PNG({ width: expected.width, height: expected.height });
  const diffPixels = pixelmatch(expected.data, actual.data, diff.data, expected.width, expected.height, {
    threshold: PIXEL_THRESHOLD,
  });
  const ok = diffPixels <= allowed;
  if (!ok && save) saveFailure(name, actual, diff);
  return {
    name,
    ok,
    diffPixels,
    allowed,
    message: `${name}: ${diffPixels} pixels differ (allowed ${allowed})${ok ? "" : `; see ${OUTPUT_DIR}`}`,
  };
}

function saveFailure(name: string, actual: PNG, diff?: PNG): void {
  mkdirSync(dirname(join(OUTPUT_DIR, name)), { recursive: true });
  writeFileSync(join(OUTPUT_DIR, `${name}.actual.png`), PNG.sync.write(actual));
  if (diff) writeFileSync(join(OUTPUT_DIR, `${name}.diff.png`), PNG.sync.write(diff));
}
