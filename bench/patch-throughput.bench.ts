/**
 * PATCH throughput and latency on one dashboard document, embedded store, against plain SQLite upserts in the
 * same run: our overhead over the storage limit of a durable write.
 *
 *   npx tsx bench/patch-throughput.bench.ts        (or: npm run bench:patch)
 *
 * Paths, each with the same number of writes per round, each on a fresh database in os.tmpdir():
 *   A        raw better-sqlite3 upsert of the document row, WAL + synchronous=FULL, one transaction per write
 *   B        A + append to a patch log + trim it, in one transaction (what a minimal patch-log design must do)
 *   service  DashboardService.patch in process (validation, rebase check, patch log), no HTTP, with
 *            AGENTBOARD_DASHBOARD_SYNC=full (an fsync per commit, like A and B)
 *   normal   the same with the default AGENTBOARD_DASHBOARD_SYNC=normal (no fsync per commit): the gap
 *            splits the service path into CPU and fsync
 *   http     PATCH /api/dashboards/:id/state over loopback to a real server in a child process, one client
 *   http×16  16 clients at once on the same document, disjoint widgets, stale baseRevs (server rebases)
 * Paths run interleaved round after round (order rotated), so disk and CPU drift hit all of them alike;
 * ratios are taken against A within each round, then the median over rounds is reported.
 */
import { mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import type { DashboardState } from "../packages/protocol/src/dashboard/dashboard-state.js";
import type { DashboardSync } from "../packages/server/src/dashboards/sqlite-dashboard-store.js";
import { makeDashboardState } from "./fixtures/dashboard-state.js";
import {
  type BenchServer,
  runConcurrentHttp,
  runSequentialHttp,
  spawnBenchServer,
} from "./lib/patch-http-clients.js";
import { openServicePath } from "./lib/patch-service-path.js";
import {
  type BaselineWriter,
  openUpsertBaseline,
  openUpsertWithLogBaseline,
  sqliteVersion,
} from "./lib/patch-sqlite-baselines.js";
import { median, summarize, timeSequential, type WriteRun, type WriteSummary } from "./lib/patch-stats.js";

/** ~20 KB JSON, 20 widgets: a busy but ordinary dashboard, and enough widgets for 16 disjoint clients. */
const DOCUMENT_BYTES = 20_000;
/** Divisible by CLIENTS. */
const WRITES_PER_ROUND = 1_600;
const WARMUP_WRITES = 160;
const CLIENTS = 16;
const ROUNDS = 5;
const MIN_ROUNDS = 3;
/**
 * A round takes ~12 s on a quiet 2-core machine and up to ~35 s when it is busy; no round starts that would
 * likely end past this budget (once MIN_ROUNDS are done), so a whole run stays under 3 minutes.
 */
const TIME_BUDGET_MS = 150_000;
/** The server's default AGENTBOARD_PATCH_LOG_LIMIT; with 1,760 writes the trim really deletes. */
const PATCH_LOG_LIMIT = 1_000;
const BASELINE = "A";

interface Scenario {
  id: string;
  label: string;
  run(state: DashboardState): Promise<WriteRun & { rebasedShare?: number }>;
}

function withTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(os.tmpdir(), "agentboard-bench-patch-"));
  return run(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

async function timeWriter(writer: { write(i: number): unknown; close(): unknown }): Promise<WriteRun> {
  try {
    for (let i = 0; i < WARMUP_WRITES; i++) await writer.write(i);
    return await timeSequential(WRITES_PER_ROUND, (i) => writer.write(WARMUP_WRITES + i));
  } finally {
    await writer.close();
  }
}

const baseline = (open: (dir: string) => BaselineWriter) => withTempDir(async (dir) => timeWriter(open(dir)));

async function withServer<T>(run: (server: BenchServer) => Promise<T>): Promise<T> {
  const server = await spawnBenchServer(DOCUMENT_BYTES, CLIENTS);
  try {
    return await run(server);
  } finally {
    await server.stop();
  }
}

const servicePath = (state: DashboardState, sync: DashboardSync) =>
  withTempDir(async (dir) =>
    timeWriter(await openServicePath(dir, state, { logLimit: PATCH_LOG_LIMIT, sync })),
  );

const SCENARIOS: Scenario[] = [
  {
    id: "A",
    label: "A: SQLite upsert, 1 txn/write",
    run: (state) => baseline((dir) => openUpsertBaseline(dir, state)),
  },
  {
    id: "B",
    label: "B: upsert + log insert + trim, 1 txn",
    run: (state) => baseline((dir) => openUpsertWithLogBaseline(dir, state, PATCH_LOG_LIMIT)),
  },
  {
    id: "service",
    label: "DashboardService.patch (no HTTP), sync full",
    run: (state) => servicePath(state, "full"),
  },
  {
    id: "normal",
    label: "same, sync normal (the default)",
    run: (state) => servicePath(state, "normal"),
  },
  {
    id: "http",
    label: "HTTP PATCH, 1 client sequential",
    run: () => withServer(({ ready }) => runSequentialHttp(ready, WARMUP_WRITES, WRITES_PER_ROUND)),
  },
  {
    id: "http16",
    label: `HTTP PATCH, ${CLIENTS} clients, stale baseRev`,
    run: () =>
      withServer(({ ready }) =>
        runConcurrentHttp(ready, CLIENTS, Math.ceil(WARMUP_WRITES / CLIENTS), WRITES_PER_ROUND / CLIENTS),
      ),
  },
];

interface RoundResult extends WriteSummary {
  rebasedShare?: number;
}

type Results = Map<string, RoundResult[]>;

async function runRound(state: DashboardState, round: number, results: Results): Promise<void> {
  // Rotating the order keeps "always runs right after the fsync-heavy one" from favouring any path.
  const order = SCENARIOS.map((_, i) => SCENARIOS[(i + round) % SCENARIOS.length]!);
  const line: string[] = [];
  for (const scenario of order) {
    const run = await scenario.run(state);
    const summary: RoundResult = { ...summarize(run), rebasedShare: run.rebasedShare };
    results.get(scenario.id)!.push(summary);
    line.push(`${scenario.id} ${summary.writesPerSec.toFixed(0)}/s`);
  }
  console.error(`round ${round + 1}: ${line.join(", ")}`);
}

const fixed = (value: number, digits: number) => value.toFixed(digits);
const times = (value: number) => `${value.toFixed(2)}×`;

function tableRow(
  scenario: Scenario,
  rows: readonly RoundResult[],
  baseRows: readonly RoundResult[],
): string {
  const perRound = (pick: (r: RoundResult, a: RoundResult) => number) =>
    median(rows.map((r, i) => pick(r, baseRows[i]!)));
  const rates = rows.map((r) => r.writesPerSec);
  return [
    scenario.label,
    fixed(median(rates), 0),
    `${fixed(Math.min(...rates), 0)}–${fixed(Math.max(...rates), 0)}`,
    fixed(median(rows.map((r) => r.p50Ms)), 2),
    fixed(median(rows.map((r) => r.p99Ms)), 2),
    times(perRound((r, a) => r.writesPerSec / a.writesPerSec)),
    times(perRound((r, a) => r.p50Ms / a.p50Ms)),
    times(perRound((r, a) => r.p99Ms / a.p99Ms)),
  ].join(" | ");
}

function printTable(results: Results): void {
  const baseRows = results.get(BASELINE)!;
  console.log(
    "| path | writes/s | writes/s min–max | p50 ms | p99 ms | throughput ÷ A | p50 ÷ A | p99 ÷ A |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const scenario of SCENARIOS)
    console.log(`| ${tableRow(scenario, results.get(scenario.id)!, baseRows)} |`);
}

/** The mount (and so the file system) os.tmpdir() lives on, from /proc/mounts; "unknown" elsewhere. */
function tmpdirFileSystem(): string {
  const dir = realpathSync(os.tmpdir());
  try {
    const mounts = readFileSync("/proc/mounts", "utf8")
      .split("\n")
      .map((line) => line.split(" "))
      .filter(([, point]) => point && (dir === point || dir.startsWith(point === "/" ? "/" : `${point}/`)));
    const best = mounts.sort((a, b) => b[1]!.length - a[1]!.length)[0];
    return best ? `${dir} on ${best[2]} (${best[0]}, mounted at ${best[1]})` : `${dir} on unknown fs`;
  } catch {
    return `${dir} on unknown fs`;
  }
}

function printMachineLine(state: DashboardState, rounds: number, results: Results): void {
  const cpus = os.cpus();
  const rebased = median(results.get("http16")!.map((r) => r.rebasedShare ?? 0));
  const bytes = Buffer.byteLength(JSON.stringify(state));
  console.log(
    `\nmachine: ${cpus.length} cores × ${cpus[0]?.model.trim() ?? "unknown CPU"}, Node ${process.version}, ` +
      `SQLite ${sqliteVersion()} (better-sqlite3), ${os.platform()} ${os.arch()}; tmpdir ${tmpdirFileSystem()}`,
  );
  console.log(
    `workload: ${WRITES_PER_ROUND} writes per path per round after ${WARMUP_WRITES} warm-up writes, ${rounds} rounds ` +
      `(medians; ratios are per-round ratios to A, then the median), document ${bytes} B JSON with ` +
      `${Object.keys(state.widgets).length} widgets, each write replaces one widget title, patch log limit ` +
      `${PATCH_LOG_LIMIT}; ${CLIENTS}-client run: ${(rebased * 100).toFixed(0)}% of writes rebased by the server`,
  );
}

async function main(): Promise<void> {
  const state = makeDashboardState(DOCUMENT_BYTES);
  const results: Results = new Map(SCENARIOS.map((s) => [s.id, []]));
  const started = performance.now();
  let rounds = 0;
  let slowestRoundMs = 0;
  while (rounds < ROUNDS) {
    const roundStarted = performance.now();
    if (rounds >= MIN_ROUNDS && roundStarted - started + slowestRoundMs > TIME_BUDGET_MS) break;
    await runRound(state, rounds, results);
    slowestRoundMs = Math.max(slowestRoundMs, performance.now() - roundStarted);
    rounds++;
  }
  console.error(`total ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
  printTable(results);
  printMachineLine(state, rounds, results);
}

await main();
