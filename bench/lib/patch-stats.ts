/** Timing and summary helpers of the PATCH throughput benchmark (bench/patch-throughput.bench.ts). */

/** One measured burst of writes: wall time of the whole burst and the latency of each write. */
export interface WriteRun {
  writes: number;
  elapsedMs: number;
  latenciesMs: number[];
}

export interface WriteSummary {
  writesPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

export function summarize(run: WriteRun): WriteSummary {
  return {
    writesPerSec: (run.writes / run.elapsedMs) * 1000,
    p50Ms: percentile(run.latenciesMs, 50),
    p99Ms: percentile(run.latenciesMs, 99),
  };
}

/**
 * Runs `write(0..count-1)` one after another, awaiting each, and times every call and the whole burst.
 * Synchronous writers (raw better-sqlite3) go through the same loop, so the baselines pay the same `await`.
 */
export async function timeSequential(count: number, write: (i: number) => unknown): Promise<WriteRun> {
  const latenciesMs: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await write(i);
    latenciesMs.push(performance.now() - t0);
  }
  return { writes: count, elapsedMs: performance.now() - started, latenciesMs };
}
