import { describe, expect, it } from "vitest";
import type { ProbeResult } from "../../src/mesh/agent-directory.js";
import { AgentProber, nextState } from "../../src/mesh/prober.js";

const INTERVAL_MS = 30_000;
const options = { intervalMs: INTERVAL_MS };
type State = Parameters<typeof nextState>[0] & { next_probe_at?: string | null };
const fresh: State = { status: "unknown", failures: 0, successes: 0, latency_ms: null };

/** Runs one probe outcome per entry from `start`, returning every state along the way. */
function run(start: State, outcomes: boolean[], now = new Date(0)): State[] {
  const states: State[] = [];
  let state = start;
  for (const ok of outcomes) {
    state = nextState(state, ok, 10, now, options);
    states.push(state);
  }
  return states;
}

/** The prober's hysteresis and backoff (prober.ts `nextState`), outcome by outcome. */
describe("prober state", () => {
  it("turns unhealthy on the third failure in a row and healthy on the second success in a row", () => {
    expect(run(fresh, [false, false, false]).map((s) => s.status)).toEqual([
      "unknown",
      "unknown",
      "unhealthy",
    ]);
    const dead = run(fresh, [false, false, false]).at(-1)!;
    expect(run(dead, [true, true]).map((s) => s.status)).toEqual(["unhealthy", "healthy"]);
  });

  it("an agent failing every other probe changes status once and never turns unhealthy", () => {
    const healthy = run(fresh, [true, true]).at(-1)!;
    expect(healthy.status).toBe("healthy");
    const statuses = run(
      healthy,
      Array.from({ length: 20 }, (_, i) => i % 2 === 1),
    ).map((s) => s.status);
    expect(new Set(statuses)).toEqual(new Set(["degraded"]));
  });

  it("backs a dead agent off: one interval, then doubling up to 16 intervals; a success ends it", () => {
    const states = run(
      fresh,
      Array.from({ length: 9 }, () => false),
    );
    const waits = states.map((s) => (s.next_probe_at ? Date.parse(s.next_probe_at) / INTERVAL_MS : null));
    expect(waits).toEqual([null, null, 1, 2, 4, 8, 16, 16, 16]);
    expect(run(states.at(-1)!, [true])[0]).toMatchObject({ next_probe_at: null, failures: 0 });
  });

  it("keeps latency as a moving average of successful probes", () => {
    const first = nextState(fresh, true, 100, new Date(0), options);
    expect(first.latency_ms).toBe(100);
    const second = nextState(first, true, 200, new Date(0), options);
    expect(second.latency_ms).toBeCloseTo(0.3 * 200 + 0.7 * 100);
    expect(nextState(second, false, 5_000, new Date(0), options).latency_ms).toBe(second.latency_ms);
  });
});

/** A directory of `count` remote agents in memory that records each write it is given. */
function memoryDirectory(count: number, failWrites = 0) {
  const rows = Array.from({ length: count }, (_, i) => ({
    id: `a2a_${i}`,
    workspace_id: "ws",
    card_url: `https://agent-${i}.example/card.json`,
    status: "unknown",
    failures: 0,
    successes: 0,
    latency_ms: null,
    next_probe_at: null,
  }));
  const writes: ProbeResult[][] = [];
  let failures = failWrites;
  return {
    writes,
    directory: {
      remoteRows: async () => rows as never,
      recordProbes: async (results: readonly ProbeResult[]) => {
        if (failures-- > 0) throw new Error("database is down");
        writes.push([...results]);
      },
    },
  };
}

describe("prober writes", () => {
  it("writes the outcomes that come in together in one call, each exactly once", async () => {
    const { directory, writes } = memoryDirectory(50);
    const prober = new AgentProber({
      directory,
      intervalMs: INTERVAL_MS,
      timeoutMs: 1000,
      probe: async () => {},
    });
    expect(await prober.sweep()).toMatchObject({ swept: true, probed: 50 });
    const written = writes.flat().map((result) => result.row.id);
    expect(written.sort()).toEqual(Array.from({ length: 50 }, (_, i) => `a2a_${i}`).sort());
    expect(writes.length).toBeLessThan(50);
    expect(writes.flat().every((result) => result.update.successes === 1)).toBe(true);
  });

  it("probes the agents that failed last time first", async () => {
    const { directory } = memoryDirectory(40);
    const rows = await directory.remoteRows();
    for (const i of [7, 23, 31]) (rows as { failures: number }[])[i]!.failures = 2;
    const order: string[] = [];
    const prober = new AgentProber({
      directory,
      intervalMs: INTERVAL_MS,
      timeoutMs: 1000,
      concurrency: 4,
      probe: async (cardUrl) => {
        order.push(cardUrl);
      },
    });
    await prober.sweep();
    expect(order).toHaveLength(40);
    expect(order.slice(0, 3).sort()).toEqual(
      [7, 23, 31].map((i) => `https://agent-${i}.example/card.json`).sort(),
    );
  });

  it("a failed write fails the sweep and leaves nothing queued behind for the next one", async () => {
    const { directory, writes } = memoryDirectory(20, 1);
    const prober = new AgentProber({
      directory,
      intervalMs: INTERVAL_MS,
      timeoutMs: 1000,
      probe: async () => {},
    });
    await expect(prober.sweep()).rejects.toThrow("database is down");
    const before = writes.length;
    expect(await prober.sweep()).toMatchObject({ swept: true, probed: 20 });
    // The second sweep wrote each agent once; nothing of the failed batch came along.
    const second = writes.slice(before).flat();
    expect(second).toHaveLength(20);
    expect(new Set(second.map((result) => result.row.id)).size).toBe(20);
  });
});
