/** Summaries and the markdown table of the sync fan-out benchmark (bench/sync-fanout.bench.ts). */
import os from "node:os";
import { SERVER_LABELS, type ServerKind, type SubscriberStats } from "./shared.js";

/** One measured run: one server kind, one subscriber count, one round. */
export interface RunResult {
  kind: ServerKind;
  subscribers: number;
  round: number;
  stats: SubscriberStats;
  /** Server CPU (user + system) over the measured window, per delivery received. */
  cpuUsPerDelivery: number;
  serverElu: number;
  /** Percent of the server's CPU spent in the kernel (mostly socket writes). */
  serverSystemShare: number;
  connectMs: number;
  /** Subscriber clock minus writer clock, from the IPC round trip with the smallest RTT. */
  clockOffsetMs: number;
  clockRttMs: number;
  /** Sends more than 5 ms behind their 10 ms schedule, and the worst lag. */
  lateSends: number;
  maxSendLagMs: number;
  /** Messages per second the writer achieved over the measured window (the schedule is 100/s). */
  sentPerSecond: number;
  drained: boolean;
  /** Cores' worth of CPU other processes used during the window, the VM's steal, the writer's loop delay. */
  foreignCores: number;
  stealCores: number;
  writerLoopDelayMaxMs: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Other processes used more than this while a run measured: its latencies say more about them than us. */
export const MAX_FOREIGN_CORES = 0.25;
export const MAX_STEAL_CORES = 0.1;

/** Why a run's numbers cannot be trusted (the machine was busy with something else), or undefined. */
export function disturbance(run: RunResult): string | undefined {
  if (run.foreignCores > MAX_FOREIGN_CORES)
    return `other processes used ${run.foreignCores.toFixed(2)} cores`;
  if (run.stealCores > MAX_STEAL_CORES) return `VM steal ${run.stealCores.toFixed(2)} cores`;
  return undefined;
}

/** A round of one subscriber count is clean when none of its runs (one per server) was disturbed. */
export function cleanRounds(runs: RunResult[], subscribers: number): number[] {
  const rounds = [...new Set(runs.filter((r) => r.subscribers === subscribers).map((r) => r.round))];
  return rounds.filter((round) =>
    runs.every((r) => r.subscribers !== subscribers || r.round !== round || !disturbance(r)),
  );
}

function ms(value: number): string {
  if (Number.isNaN(value)) return "n/a";
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return value.toFixed(0);
}

function ratio(value: number): string {
  return Number.isNaN(value) ? "n/a" : `${value.toFixed(2)}×`;
}

function markdownTable(header: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, c) => (rightAligned[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join(" | ")} |`;
  const rule = `| ${widths.map((w, c) => (rightAligned[c] ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

export interface Summary {
  table: string;
  /** Whether the run measured what it meant to: offered rate kept, who was saturated. */
  loadTable: string;
  /** One line per subscriber count: the issue's goal, met or not, with the numbers. */
  verdicts: string[];
  notes: string[];
}

/**
 * The issue's goal for one subscriber count: agentboard's p99 (send → receive) within 1.5× of raw ws and below
 * Socket.IO's, at the offered 100 patches/s. A writer held back by slow acks sends fewer patches, which would
 * flatter the send → receive latency, so a run where agentboard's writer did not keep the schedule fails the
 * goal, and the schedule → receive p99 (which counts the hold-up) is quoted instead.
 */
function verdict(runs: RunResult[], n: number): string {
  const p99 = (r: RunResult) => r.stats.p99Ms;
  const fromDue = (r: RunResult) => r.stats.p99FromDueMs;
  const vsWs = medianRatio(runs, "agentboard", "ws", n, p99);
  const vsIo = medianRatio(runs, "agentboard", "socketio", n, p99);
  const ours = runs.filter((r) => r.kind === "agentboard" && r.subscribers === n);
  const rate = median(ours.map((r) => r.sentPerSecond));
  // The median run's rate: a stall of the whole machine in one round (which delays every writer) is noise.
  const keptUp = rate >= 99;
  const latency = `agentboard p99 = ${ratio(vsWs)} raw ws (goal ≤ 1.50×: ${vsWs <= 1.5 ? "met" : "NOT met"}), ${ratio(vsIo)} Socket.IO (goal < 1.00×: ${vsIo < 1 ? "met" : "NOT met"})`;
  if (!keptUp) {
    const dueWs = medianRatio(runs, "agentboard", "ws", n, fromDue);
    const dueIo = medianRatio(runs, "agentboard", "socketio", n, fromDue);
    return (
      `${n} subscribers: GOAL NOT MET — agentboard did not sustain 100 patches/s (its writer, waiting for acks, reached ` +
      `${rate.toFixed(1)}/s); counted from the schedule its p99 is ${ms(median(ours.map(fromDue)))} ms = ${ratio(dueWs)} raw ws, ` +
      `${ratio(dueIo)} Socket.IO (send → receive, at the lower rate: ${latency})`
    );
  }
  const met = vsWs <= 1.5 && vsIo < 1;
  return `${n} subscribers: ${latency} → ${met ? "GOAL MET" : "GOAL NOT MET"}`;
}

/** Per-round ratio of `kind`'s metric to `base`'s, then the median over rounds. */
function medianRatio(
  runs: RunResult[],
  kind: ServerKind,
  base: ServerKind,
  subscribers: number,
  metric: (r: RunResult) => number,
): number {
  const ratios: number[] = [];
  for (const run of runs) {
    if (run.kind !== kind || run.subscribers !== subscribers) continue;
    const other = runs.find((r) => r.kind === base && r.subscribers === subscribers && r.round === run.round);
    if (other) ratios.push(metric(run) / metric(other));
  }
  return median(ratios);
}

/**
 * Per subscriber count, the rounds the summary uses: the clean ones if there are at least two, otherwise all
 * (and the verdict says the machine was too busy).
 */
function usableRounds(runs: RunResult[], n: number): { rounds: number[]; noisy: boolean } {
  const clean = cleanRounds(runs, n);
  if (clean.length >= 2) return { rounds: clean, noisy: false };
  return { rounds: [...new Set(runs.filter((r) => r.subscribers === n).map((r) => r.round))], noisy: true };
}

export function summarize(allRuns: RunResult[], counts: number[], kinds: ServerKind[]): Summary {
  const usable = new Map(counts.map((n) => [n, usableRounds(allRuns, n)]));
  const runs = allRuns.filter((r) => usable.get(r.subscribers)?.rounds.includes(r.round));
  const rows: string[][] = [];
  const loadRows: string[][] = [];
  const behind: string[] = [];
  const verdicts: string[] = [];
  const p99 = (r: RunResult) => r.stats.p99Ms;
  const cpu = (r: RunResult) => r.cpuUsPerDelivery;
  const percent = (value: number) => `${(value * 100).toFixed(0)}%`;
  for (const n of counts) {
    for (const kind of kinds) {
      const mine = runs.filter((r) => r.kind === kind && r.subscribers === n);
      if (mine.length === 0) continue;
      const med = (metric: (r: RunResult) => number) => median(mine.map(metric));
      const received = mine.reduce((sum, r) => sum + r.stats.received, 0);
      const expected = mine.reduce((sum, r) => sum + r.stats.expected, 0);
      const lost = expected - received;
      const share = ((received / expected) * 100).toFixed(received === expected ? 0 : 2);
      const p99s = mine.map(p99);
      const scenario = `${SERVER_LABELS[kind]} × ${n}`;
      const slowWriter = med((r) => r.sentPerSecond) < 99;
      if (slowWriter) behind.push(scenario);
      rows.push([
        slowWriter ? `${scenario} †` : scenario,
        `${received}/${expected} (${share}%${lost ? `, ${lost} lost` : ""})`,
        ms(med((r) => r.stats.p50Ms)),
        ms(median(p99s)),
        `${ms(Math.min(...p99s))}–${ms(Math.max(...p99s))}`,
        med(cpu).toFixed(1),
        ratio(medianRatio(runs, kind, "ws", n, p99)),
        kind === "ws" ? "" : ratio(medianRatio(runs, kind, "socketio", n, p99)),
        ratio(medianRatio(runs, kind, "ws", n, cpu)),
      ]);
      loadRows.push([
        scenario,
        med((r) => r.sentPerSecond).toFixed(1),
        ms(med((r) => r.stats.p99FromDueMs)),
        percent(med((r) => r.serverElu)),
        `${med((r) => r.serverSystemShare).toFixed(0)}%`,
        percent(med((r) => r.stats.elu)),
        med((r) => r.stats.cpuUsPerDelivery).toFixed(1),
        ms(med((r) => r.connectMs)),
      ]);
    }
    if (kinds.includes("agentboard") && kinds.includes("ws") && kinds.includes("socketio")) {
      const { rounds, noisy } = usable.get(n)!;
      const clean = cleanRounds(allRuns, n).length;
      const caveat = noisy
        ? ` (UNRELIABLE: ${clean} of ${rounds.length} rounds were clean, at least 2 are needed; re-run on a quiet machine)`
        : "";
      verdicts.push(verdict(runs, n) + caveat);
    }
  }
  const table = markdownTable(
    [
      "scenario (server × subscribers)",
      "deliveries received/expected",
      "p50 ms",
      "p99 ms",
      "p99 min–max",
      "server CPU µs/delivery",
      "p99 ÷ raw ws",
      "p99 ÷ Socket.IO",
      "CPU ÷ raw ws",
    ],
    rows,
    [false, true, true, true, true, true, true, true, true],
  );
  const loadTable = markdownTable(
    [
      "scenario",
      "writer sent/s",
      "p99 ms from schedule",
      "server ELU",
      "server CPU in kernel",
      "subscriber process ELU",
      "subscriber CPU µs/delivery",
      "connect all ms",
    ],
    loadRows,
    [false, true, true, true, true, true, true, true],
  );

  const notes: string[] = [];
  if (behind.length) {
    notes.push(
      `† ${behind.join(", ")}: the writer (waiting for each ack) did not keep 100 patches/s, so its send → receive ` +
        "latency was measured at a lower rate than the other rows; its p99 from the schedule is in the load table",
    );
  }
  const offsets = runs.map((r) => Math.abs(r.clockOffsetMs));
  const rtts = runs.map((r) => r.clockRttMs);
  notes.push(
    `clock offset subscriber−writer over IPC: max |${Math.max(...offsets).toFixed(3)}| ms (best RTT ≤ ${Math.max(...rtts).toFixed(3)} ms); latencies are not corrected for it`,
  );
  const disorder = runs.filter((r) => r.stats.outOfOrder > 0);
  const closed = runs.filter((r) => r.stats.closed > 0);
  const late = runs.filter((r) => r.lateSends > 0);
  const undrained = runs.filter((r) => !r.drained);
  const label = (r: RunResult) => `${SERVER_LABELS[r.kind]} × ${r.subscribers} round ${r.round + 1}`;
  const used = counts.map((n) => {
    const { rounds, noisy } = usable.get(n)!;
    return `${n} subscribers: rounds ${rounds.map((r) => r + 1).join(", ")}${noisy ? " (all: fewer than 2 clean)" : ""}`;
  });
  notes.push(`medians over ${used.join("; ")}`);
  const disturbed = allRuns.filter((r) => disturbance(r));
  if (disturbed.length) {
    notes.push(
      `disturbed runs (> ${MAX_FOREIGN_CORES} cores of other load or > ${MAX_STEAL_CORES} steal; their rounds are left out when ≥ 2 clean rounds remain): ` +
        disturbed.map((r) => `${label(r)}: ${disturbance(r)}`).join("; "),
    );
  }
  if (disorder.length)
    notes.push(
      `OUT OF ORDER frames: ${disorder.map((r) => `${label(r)}: ${r.stats.outOfOrder}`).join("; ")}`,
    );
  if (closed.length)
    notes.push(
      `sockets closed during a run: ${closed.map((r) => `${label(r)}: ${r.stats.closed}`).join("; ")}`,
    );
  if (undrained.length)
    notes.push(`not every delivery arrived before the drain timeout: ${undrained.map(label).join("; ")}`);
  if (late.length) {
    notes.push(
      `writer behind its 10 ms schedule by > 5 ms: ${late.map((r) => `${label(r)}: ${r.lateSends} sends, max ${r.maxSendLagMs.toFixed(1)} ms`).join("; ")}`,
    );
  }
  return { table, loadTable, verdicts, notes };
}

export function machineLine(): string {
  const cpus = os.cpus();
  const model = (cpus[0]?.model ?? "unknown CPU").trim();
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
  return `machine: ${cpus.length} cores × ${model}, Node ${process.version}, ${process.platform} ${process.arch}, load average ${load}`;
}
