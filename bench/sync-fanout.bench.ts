/**
 * Real-time fan-out: one writer, 100 and 1000 subscribers, 1 KB patches at 100/s on loopback. Delivery
 * latency (writer send → subscriber receive) and server CPU per delivery of agentboard's realtime hub, side by
 * side in the same run with the limit (a raw `ws` broadcast server) and the usual choice (a Socket.IO room).
 *
 *   npm run bench:sync-fanout        (= npx tsx bench/sync-fanout.bench.ts)
 *   options: --seconds 10  --rounds 3  --subscribers 100,1000  --servers ws,socketio,agentboard
 *            --profile DIR   (servers run with --cpu-prof; DIR/<server>-<n>-round<r>/CPU.*.cpuprofile)
 *
 * Three processes per run, so no side steals the measured one's event loop:
 *   server       bench/sync-fanout/server.ts (its own process: process.cpuUsage is the server's alone)
 *   subscribers  bench/sync-fanout/subscribers.ts (all N sockets, connected 100 at a time)
 *   writer       this process (bench/sync-fanout/writers.ts)
 * The payload carries the writer's send time (performance.timeOrigin + performance.now()) and its due time by
 * the 100/s schedule; subscribers subtract them from their receive time. agentboard's writer waits for each
 * `ack` (the next baseRev), so if acks take longer than 10 ms it falls behind: its rate and its latency from
 * the schedule (which counts the hold-up) are reported next to the send → receive latency.
 * Every run gets a fresh server and fresh sockets; servers run interleaved round after round (order
 * rotated), each ratio is taken within a round, and the table shows medians over rounds. A run during which
 * other processes used a noticeable share of the CPU (bench/sync-fanout/machine.ts) is marked disturbed;
 * its round is re-run (bounded in count and time) and left out of the medians if enough clean ones remain.
 */
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BenchChild, killAllChildren } from "./sync-fanout/child.js";
import { watchMachine } from "./sync-fanout/machine.js";
import { cleanRounds, disturbance, machineLine, type RunResult, summarize } from "./sync-fanout/report.js";
import {
  nowMs,
  SERVER_LABELS,
  type ServerKind,
  type SubscriberConfig,
  VALUE_CHARS,
} from "./sync-fanout/shared.js";
import { openWriter, type Writer } from "./sync-fanout/writers.js";

const SERVER_ENTRY = fileURLToPath(new URL("./sync-fanout/server.ts", import.meta.url));
const SUBSCRIBERS_ENTRY = fileURLToPath(new URL("./sync-fanout/subscribers.ts", import.meta.url));

const RATE_PER_SECOND = 100;
const INTERVAL_MS = 1000 / RATE_PER_SECOND;
/**
 * The issue asks for 10 s per scenario, and that is the default: each p99 then rests on 1000 patches (100,000
 * or 1,000,000 deliveries). `--seconds 5` halves both the run time and the samples behind each p99, so its
 * per-round ratios scatter more.
 */
const SPEC_SECONDS = 10;
const WARMUP_SECONDS = 1;
/** How long the server gets to finish the pre-warm frames before the subscribers connect. */
const PREWARM_SETTLE_MS = 500;
const CONNECT_BATCH = 100;
const CONNECT_TIMEOUT_MS = 10_000;
const DRAIN_TIMEOUT_MS = 10_000;
const LATE_SEND_MS = 5;
const MIN_ROUNDS = 2;
/** Clean rounds wanted (--rounds); rounds disturbed by other load are re-run, up to this many in all. */
const MAX_ROUNDS_FACTOR = 2;

const { values: options } = parseArgs({
  options: {
    seconds: { type: "string", default: String(SPEC_SECONDS) },
    rounds: { type: "string", default: "3" },
    subscribers: { type: "string", default: "100,1000" },
    servers: { type: "string", default: "ws,socketio,agentboard" },
    profile: { type: "string" },
    prewarm: { type: "string", default: "3000" },
  },
});
const SECONDS = Number(options.seconds);
const ROUNDS = Number(options.rounds);
const COUNTS = options.subscribers.split(",").map(Number);
const KINDS = options.servers.split(",") as ServerKind[];
/**
 * Patches every server gets before its subscribers connect (--prewarm). A server that has run for a while
 * has its per-patch code optimised; with only the 1 s warm-up, V8 was still compiling agentboard's per-patch
 * path (parse, validation, commit: called once per patch, so it gets hot 100× slower than the per-delivery
 * code) on a second core all through the measured window. raw ws and Socket.IO get the same frames.
 */
const PREWARM = Number(options.prewarm);
if (
  !(SECONDS > 0) ||
  !(ROUNDS > 0) ||
  !(PREWARM >= 0) ||
  COUNTS.some((n) => !(n > 0)) ||
  KINDS.some((k) => !SERVER_LABELS[k])
) {
  console.error(
    "usage: --seconds N --rounds N --subscribers 100,1000 --servers ws,socketio,agentboard --prewarm N",
  );
  process.exit(2);
}
const MAX_ROUNDS = ROUNDS * MAX_ROUNDS_FACTOR;
const PROFILE_DIR = options.profile ? resolve(options.profile) : undefined;

/**
 * A run takes its warm-up and measured seconds plus ~2–5 s to spawn, connect and tear down, and ~1 s for the
 * default pre-warm and its settling (~300 s for the default 3 rounds × 6 runs × 10 s on a quiet 2-core machine,
 * ~165 s with --seconds 5). Once MIN_ROUNDS are done, no round starts that would likely end past SOFT_BUDGET_MS
 * (≥ 4 min; ~7 min with the defaults, more if --seconds/--rounds ask for more work).
 */
const RUN_ESTIMATE_MS = (SECONDS + WARMUP_SECONDS + 5) * 1000;
const ROUND_ESTIMATE_MS = COUNTS.length * KINDS.length * RUN_ESTIMATE_MS;
const SOFT_BUDGET_MS = Math.max(240_000, 1.5 * ROUNDS * ROUND_ESTIMATE_MS);
/** Past this everything is killed and the bench fails, whatever it was doing. */
const HARD_DEADLINE_MS = SOFT_BUDGET_MS + 2 * ROUND_ESTIMATE_MS + 60_000;

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Subscriber clock minus ours, from the IPC round trip with the smallest RTT of 20. */
async function clockOffset(child: BenchChild): Promise<{ offsetMs: number; rttMs: number }> {
  let best = { offsetMs: 0, rttMs: Number.POSITIVE_INFINITY };
  for (let i = 0; i < 20; i++) {
    const t0 = nowMs();
    const { t } = await child.request({ type: "clock", t0 }, "clock", 5_000);
    const t1 = nowMs();
    if (t1 - t0 < best.rttMs) best = { offsetMs: t - (t0 + t1) / 2, rttMs: t1 - t0 };
  }
  return best;
}

async function runOne(kind: ServerKind, subscribers: number, round: number): Promise<RunResult> {
  const profileDir = PROFILE_DIR && resolve(PROFILE_DIR, `${kind}-${subscribers}-round${round + 1}`);
  const nodeArgs = profileDir ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] : [];
  const server = BenchChild.spawn(`server:${kind}`, SERVER_ENTRY, [kind], nodeArgs);
  let subs: BenchChild | undefined;
  let writer: Writer | undefined;
  try {
    const { ready } = await server.next("ready", 30_000);
    if (!ready) throw new Error("server sent no address");
    if (ready.dataDir) server.ownsDir(ready.dataDir);
    const warmup = WARMUP_SECONDS * RATE_PER_SECOND;
    const measured = SECONDS * RATE_PER_SECOND;
    const config: SubscriberConfig = {
      kind,
      url: ready.url,
      token: ready.subscriberToken,
      subscribers,
      warmup,
      measured,
      connectBatch: CONNECT_BATCH,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
    };
    writer = await openWriter(kind, ready, CONNECT_TIMEOUT_MS);
    // Pre-warm with nobody subscribed: negative seqs, which subscribers ignore (a snapshot may carry one).
    for (let seq = -PREWARM; seq < 0; seq++)
      await writer.send(seq, performance.timeOrigin + performance.now());
    if (PREWARM > 0) await sleep(PREWARM_SETTLE_MS);
    subs = BenchChild.spawn(`subscribers:${kind}`, SUBSCRIBERS_ENTRY);
    subs.send({ type: "start", config });
    const { connectMs = Number.NaN } = await subs.next("ready", 120_000);
    const clock = await clockOffset(subs);

    let lateSends = 0;
    let maxSendLagMs = 0;
    let firstSendMs = 0;
    let lastSendMs = 0;
    let start = performance.now();
    let machine: ReturnType<typeof watchMachine> | undefined;
    for (let seq = 0; seq < warmup + measured; seq++) {
      if (seq === warmup) {
        await Promise.all([
          server.request({ type: "cpu-start" }, "cpu-started", 5_000),
          subs.request({ type: "cpu-start" }, "cpu-started", 5_000),
        ]);
        machine = watchMachine();
        // The measured window keeps the 100/s schedule from here, whatever the warm-up did.
        start = performance.now() - seq * INTERVAL_MS;
      }
      const due = start + seq * INTERVAL_MS;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const sendMs = performance.now();
      if (seq >= warmup) {
        if (seq === warmup) firstSendMs = sendMs;
        lastSendMs = sendMs;
        if (sendMs - due > LATE_SEND_MS) lateSends++;
        maxSendLagMs = Math.max(maxSendLagMs, sendMs - due);
      }
      await writer.send(seq, performance.timeOrigin + due);
    }
    const drained = await subs.next("done", DRAIN_TIMEOUT_MS).then(
      () => true,
      () => false,
    );
    const [{ cpu }, { cpu: subsCpu }] = await Promise.all([
      server.request({ type: "cpu-stop" }, "cpu", 5_000),
      subs.request({ type: "cpu-stop" }, "cpu", 5_000),
    ]);
    const machineWindow = machine?.stop();
    const { stats } = await subs.request({ type: "report" }, "report", 30_000);
    const serverCpuUs = cpu.userUs + cpu.systemUs;
    const noise = machineWindow?.noise(serverCpuUs + subsCpu.userUs + subsCpu.systemUs);
    return {
      kind,
      subscribers,
      round,
      stats,
      cpuUsPerDelivery: serverCpuUs / stats.received,
      serverElu: cpu.elu,
      serverSystemShare: Math.round((cpu.systemUs / (cpu.userUs + cpu.systemUs)) * 100),
      connectMs,
      clockOffsetMs: clock.offsetMs,
      clockRttMs: clock.rttMs,
      lateSends,
      maxSendLagMs,
      sentPerSecond: measured > 1 ? ((measured - 1) * 1000) / (lastSendMs - firstSendMs) : Number.NaN,
      drained,
      foreignCores: noise?.foreignCores ?? Number.NaN,
      stealCores: noise?.stealCores ?? Number.NaN,
      writerLoopDelayMaxMs: noise?.writerLoopDelayMaxMs ?? Number.NaN,
    };
  } finally {
    writer?.close();
    await subs?.stop();
    await server.stop();
  }
}

async function main(): Promise<void> {
  if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
  const machineAtStart = machineLine();
  const began = performance.now();
  const shortened = SECONDS < SPEC_SECONDS;
  console.log(
    `# Sync fan-out: 1 writer, ${COUNTS.join(" and ")} subscribers, ~1 KB patches (value ${VALUE_CHARS} chars) at ${RATE_PER_SECOND}/s, ` +
      `${PREWARM} pre-warm patches, ${WARMUP_SECONDS} s warm-up + ${SECONDS} s measured per run${shortened ? ` (shortened from the issue's ${SPEC_SECONDS} s)` : ""}, ` +
      `${ROUNDS} clean rounds wanted (disturbed ones re-run, at most ${MAX_ROUNDS} rounds, ~${Math.round(SOFT_BUDGET_MS / 60_000)} min budget)\n`,
  );
  const runs: RunResult[] = [];
  let rounds = 0;
  // Rounds disturbed by other load on the machine do not count: up to MAX_ROUNDS are run to get ROUNDS clean
  // ones per subscriber count, within the time budget.
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const needed = COUNTS.filter((n) => cleanRounds(runs, n).length < ROUNDS);
    if (needed.length === 0) break;
    if (round >= MIN_ROUNDS && performance.now() - began + ROUND_ESTIMATE_MS > SOFT_BUDGET_MS) {
      console.error(`time budget: stopping after ${round} rounds`);
      break;
    }
    for (const n of round < ROUNDS ? COUNTS : needed) {
      const order = KINDS.map((_, i) => KINDS[(i + round) % KINDS.length]!);
      for (const kind of order) {
        const result = await runOne(kind, n, round);
        runs.push(result);
        const s = result.stats;
        const noise = disturbance(result);
        console.error(
          `round ${round + 1} ${SERVER_LABELS[kind]} × ${n}: ${s.received}/${s.expected} delivered, ` +
            `sent ${result.sentPerSecond.toFixed(1)}/s, p50 ${s.p50Ms.toFixed(2)} ms, p99 ${s.p99Ms.toFixed(2)} ms, ` +
            `max ${s.maxMs.toFixed(1)} ms, p99 from schedule ${s.p99FromDueMs.toFixed(2)} ms, ` +
            `tail: ${s.tailPatches} patches above p99 (${s.tailPatchesLateFromStart} late from the start), ` +
            `server CPU ${result.cpuUsPerDelivery.toFixed(1)} µs/delivery (${result.serverSystemShare}% system), ELU ${(result.serverElu * 100).toFixed(0)}%, ` +
            `subscribers CPU ${s.cpuUsPerDelivery.toFixed(1)} µs/delivery, ELU ${(s.elu * 100).toFixed(0)}%, ` +
            `connect ${result.connectMs.toFixed(0)} ms, other load ${result.foreignCores.toFixed(2)} cores, ` +
            `steal ${result.stealCores.toFixed(2)}, writer loop delay max ${result.writerLoopDelayMaxMs.toFixed(1)} ms` +
            (noise ? ` — DISTURBED (${noise})` : ""),
        );
      }
    }
    rounds++;
  }
  const summary = summarize(runs, COUNTS, KINDS);
  console.log(summary.table);
  console.log("\nLoad (medians): did the writer keep 100/s, and which process was saturated?\n");
  console.log(summary.loadTable);
  console.log("");
  for (const verdict of summary.verdicts) console.log(`- ${verdict}`);
  for (const note of summary.notes) console.log(`- ${note}`);
  console.log(`- ${rounds} rounds in ${((performance.now() - began) / 1000).toFixed(0)} s`);
  console.log(`\n${machineAtStart} (at start)`);
  console.log(`${machineLine()} (at end)`);
  if (PROFILE_DIR) console.log(`server CPU profiles: ${PROFILE_DIR}`);
}

process.on("exit", killAllChildren);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}
const hardDeadline = setTimeout(() => {
  console.error(`sync-fanout: hard deadline of ${HARD_DEADLINE_MS / 1000} s reached; killing children`);
  killAllChildren();
  process.exit(1);
}, HARD_DEADLINE_MS);

main().then(
  () => {
    clearTimeout(hardDeadline);
    killAllChildren();
    process.exit(0);
  },
  (error: unknown) => {
    console.error(error);
    killAllChildren();
    process.exit(1);
  },
);
