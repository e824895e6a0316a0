/**
 * Approval wake-up benchmark: how fast a waiting agent resumes after a human's decision commits, and what
 * waiting costs while nobody decides, for our event-driven waits against polling loops in the same run.
 *
 *   npm run bench:approval-wake        (= npx tsx bench/approval-wake.bench.ts, about 2 min)
 *   options: --waiters 1000  --rounds 3
 *
 * One real server (startServer, SQLite in a temp dir, port 0) runs in this process, and so do the clients;
 * "CPU" is therefore the whole process: server and clients together. Each round runs every mode on
 * `--waiters` fresh pending approvals:
 *
 * - waiter registry: ApprovalService.wait in-process, no HTTP (the server's own wake-up cost);
 * - SDK wait(), WebSocket: `handle.wait()` of @agentboard/client as agents get it by default: every wait of
 *   one board client listens on its one realtime connection (`subscribe_approvals`);
 * - SDK wait(), long-poll: the same with `approvalWaits: "long-poll"`: one `GET /api/approvals/:id/wait` per
 *   waiter over real HTTP connections, answered by the waiter registry;
 * - polling every 1 s / 5 s: GET /api/approvals/:id in a loop, each client starting at a random phase.
 *
 * A mode starts its waits and waits until every one is in place (see `waitUntilReady`), lets them settle
 * (1 s), measures process CPU over a 2 s idle window, then approves all of them at uniformly random times
 * within 2 s through ApprovalService.approve. Latency runs from the commit (the service's post-commit event)
 * to the moment the client holds the decided approval. With random phases polling latency is uniform over
 * one interval whatever the decision window, so the 2 s window serves the polling baselines too; only the
 * tail after the last decision is an interval long. Three rounds after a warm-up; the table shows medians.
 * Everything is bounded: waits must be in place within READY_TIMEOUT_MS, each wait gives up (failing the run)
 * after WAIT_TIMEOUT_MS, and the whole bench stops with an error after HARD_DEADLINE_MS.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type BoardClient, createBoardClient } from "../packages/client/src/index.js";
import type { Approval } from "../packages/protocol/src/index.js";
import type { Principal } from "../packages/server/src/auth/principal.js";
import { loadConfig } from "../packages/server/src/config.js";
import { createLogger } from "../packages/server/src/observability/logger.js";
import { startServer } from "../packages/server/src/runtime/start-server.js";

const { values: args } = parseArgs({
  options: {
    waiters: { type: "string", default: "1000" },
    rounds: { type: "string", default: "3" },
  },
});
const WAITERS = Number(args.waiters);
const ROUNDS = Number(args.rounds);
if (!(WAITERS > 0) || !(ROUNDS > 0)) {
  console.error("usage: --waiters N --rounds N");
  process.exit(2);
}
const IDLE_MS = 2_000;
/** Let every waiter's first read (and the garbage of creating 1000 approvals) finish before measuring idle. */
const SETUP_GRACE_MS = 1_000;
/** Decisions of one mode are spread over this window: 500 commits/s, each fsync'd (synchronous=FULL). */
const DECIDE_MS = 2_000;
/** All waits of a mode must be in place within this long, or the run fails (instead of hanging). */
const READY_TIMEOUT_MS = 30_000;
/** Every wait gives up (WaitTimeoutError, a failed run) this long after it started. */
const WAIT_TIMEOUT_MS = READY_TIMEOUT_MS + SETUP_GRACE_MS + IDLE_MS + DECIDE_MS + 30_000;
/** The whole bench: warm-up plus rounds × modes, with room for a slow machine. */
const HARD_DEADLINE_MS = 120_000 + ROUNDS * 5 * (WAIT_TIMEOUT_MS / 2);

interface Mode {
  name: string;
  /** Starts one waiter per id; each calls `resumed(id)` when it holds the decided approval. */
  start(ids: string[], resumed: (id: string) => void): Promise<unknown>[];
  /** Resolves once every waiter of `ids` will hear a decision (see waitUntilReady). */
  ready(ids: string[]): Promise<void>;
  /** Throws if the mode did not measure what it names (e.g. a WebSocket wait fell back to the long-poll). */
  check?(): void;
}

interface Sample {
  p50: number;
  p99: number;
  max: number;
  idleCpuMsPerSec: number;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

/** Middle value; the mean of the two middle ones for an even count. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `done` every 10 ms until it holds; fails with `what` after READY_TIMEOUT_MS. */
async function waitUntilReady(what: string, done: () => boolean): Promise<void> {
  const deadline = performance.now() + READY_TIMEOUT_MS;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`not ready after ${READY_TIMEOUT_MS} ms: ${what}`);
    await sleep(10);
  }
}

/**
 * What the SDK asks of the server, seen through the board client's `fetch` option (public API), so the bench
 * can tell when WebSocket waits are in place without reaching into the SDK or the hub: a realtime wait reads
 * its approval once the connection is subscribed (and whenever it resubscribes); once that read has
 * answered, a decision reaches it as an `approval` frame. A `/wait` request in a WebSocket mode means a wait
 * fell back to the long-poll, so the row would measure the wrong strategy.
 */
class RequestLog {
  /** Approvals whose wait() has been called: a plain GET of one of these after that is the realtime re-read. */
  readonly waiting = new Set<string>();
  /** …and whose re-read has been answered. */
  readonly reread = new Set<string>();
  longPolls = 0;

  readonly fetch: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const match = /^\/api\/approvals\/([^/]+)(\/wait)?$/.exec(url.pathname);
    const id = match?.[1] && decodeURIComponent(match[1]);
    if (match?.[2]) this.longPolls++;
    const isReread =
      id !== undefined && !match?.[2] && (init?.method ?? "GET") === "GET" && this.waiting.has(id);
    const response = await fetch(input, init);
    if (isReread && id) this.reread.add(id);
    return response;
  };

  reset(): void {
    this.waiting.clear();
    this.reread.clear();
    this.longPolls = 0;
  }
}

async function main() {
  const started = performance.now();
  const loadAtStart = os.loadavg();
  const dataDir = mkdtempSync(join(tmpdir(), "agentboard-bench-wake-"));
  const config = loadConfig({
    env: { AGENTBOARD_LOG_LEVEL: "silent", AGENTBOARD_RATE_LIMIT_PER_MINUTE: "1000000" },
    flags: { port: 0, dataDir },
  });
  const server = await startServer(config, createLogger("silent"));
  const boards: BoardClient[] = [];
  try {
    const { identity, approvals } = server.runtime;
    const workspace = await identity.ensureWorkspace("default");
    const agent = await identity.ensurePrincipal({
      workspace,
      kind: "agent",
      name: "bench-agent",
      scopes: ["approvals:request"],
    });
    const human: Principal = await identity.ensurePrincipal({ workspace, kind: "user", name: "bench-human" });
    const { secret: agentToken } = await identity.issueSecret(agent, "api");
    const requests = new RequestLog();
    const board = (approvalWaits: "realtime" | "long-poll") => {
      const client = createBoardClient({
        url: server.url,
        token: agentToken,
        timeoutMs: WAIT_TIMEOUT_MS,
        approvalWaits,
        fetch: requests.fetch,
      });
      boards.push(client);
      return client;
    };
    const realtimeBoard = board("realtime");
    const longPollBoard = board("long-poll");

    const commits = new Map<string, number>();
    approvals.onEvent(({ event, approval }) => {
      if (event === "decided") commits.set(approval.id, performance.now());
    });
    /** Waits the server holds in its waiter registry (in-process waits and long-polls). */
    const serverWaiters = () => approvals.waiters.size;

    const poller =
      (intervalMs: number): Mode["start"] =>
      (ids, resumed) =>
        ids.map(async (id) => {
          const giveUp = performance.now() + WAIT_TIMEOUT_MS;
          await sleep(Math.random() * intervalMs);
          for (;;) {
            const approval: Approval = await longPollBoard.approvals.get(id);
            if (approval.status !== "pending") return resumed(id);
            if (performance.now() > giveUp) throw new Error(`polling: ${id} still pending`);
            await sleep(intervalMs);
          }
        });
    const sdkWaits =
      (client: BoardClient): Mode["start"] =>
      (ids, resumed) => {
        // Every handle first, then every wait: a wait whose WebSocket is not subscribed within the SDK's grace
        // (5 s) moves to the long-poll, and on a busy machine the socket's ticket request can queue that long
        // behind 1000 handle reads in this same process.
        const handles = Promise.all(ids.map((id) => client.approvals.handle(id)));
        return ids.map(async (id, i) => {
          const handle = (await handles)[i]!;
          requests.waiting.add(id);
          const approval = await handle.wait({ timeoutMs: WAIT_TIMEOUT_MS });
          resumed(approval.id);
        });
      };
    const nothingToWaitFor = async () => {};

    const modes: Mode[] = [
      {
        name: "waiter registry (in-process)",
        start: (ids, resumed) =>
          ids.map(async (id) => {
            await approvals.wait(agent, id, { timeoutMs: WAIT_TIMEOUT_MS });
            resumed(id);
          }),
        ready: (ids) =>
          waitUntilReady(
            `${serverWaiters()} of ${ids.length} in-process waits registered`,
            () => serverWaiters() >= ids.length,
          ),
      },
      {
        name: "SDK wait(), WebSocket (default)",
        start: sdkWaits(realtimeBoard),
        ready: (ids) =>
          waitUntilReady(
            `${requests.reread.size} of ${ids.length} WebSocket waits subscribed and re-read`,
            () => {
              if (requests.longPolls > 0) throw new Error("a WebSocket wait fell back to the long-poll");
              return requests.reread.size >= ids.length;
            },
          ),
        check() {
          if (requests.longPolls > 0)
            throw new Error(`${requests.longPolls} WebSocket waits fell back to the long-poll`);
        },
      },
      {
        name: "SDK wait(), long-poll",
        start: sdkWaits(longPollBoard),
        ready: (ids) =>
          waitUntilReady(
            `${serverWaiters()} of ${ids.length} long-polls held by the server`,
            () => serverWaiters() >= ids.length,
          ),
      },
      { name: "polling every 1 s", start: poller(1_000), ready: nothingToWaitFor },
      { name: "polling every 5 s", start: poller(5_000), ready: nothingToWaitFor },
    ];

    /** One pass of a mode over `count` fresh approvals; null idleMs skips the CPU window (warm-up). */
    const runMode = async (
      mode: Mode,
      count: number,
      idleMs: number | null,
      decideMs = DECIDE_MS,
    ): Promise<Sample> => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const { approval } = await approvals.create(agent, {
          type: "bench",
          title: `wake ${i}`,
          confidence: 10,
        });
        ids.push(approval.id);
      }

      requests.reset();
      const resumes = new Map<string, number>();
      const waits = mode.start(ids, (id) => resumes.set(id, performance.now()));
      // A wait that fails before the decisions must not go unhandled while we wait for the others.
      const settled = Promise.allSettled(waits);
      await Promise.race([
        mode.ready(ids),
        settled.then((results) => {
          const failed = results.find((r) => r.status === "rejected");
          throw failed ? failed.reason : new Error(`${mode.name}: waits ended before any decision`);
        }),
      ]);
      let idleCpuMsPerSec = Number.NaN;
      if (idleMs !== null) {
        await sleep(SETUP_GRACE_MS);
        const cpuBefore = process.cpuUsage();
        const idleStarted = performance.now();
        await sleep(idleMs);
        const cpu = process.cpuUsage(cpuBefore);
        idleCpuMsPerSec = (cpu.user + cpu.system) / 1000 / ((performance.now() - idleStarted) / 1000);
      }
      if (resumes.size > 0)
        throw new Error(`${mode.name}: ${resumes.size} waiters resumed before any decision`);

      await Promise.all(
        ids.map(async (id) => {
          await sleep(Math.random() * decideMs);
          await approvals.approve(human, id);
        }),
      );
      for (const result of await settled) if (result.status === "rejected") throw result.reason;
      mode.check?.();
      const latencies = ids.map((id) => resumes.get(id)! - commits.get(id)!);
      if (latencies.some((ms) => !Number.isFinite(ms)))
        throw new Error(`${mode.name}: a wake-up was not measured`);
      if (serverWaiters() !== 0) throw new Error(`${serverWaiters()} waiters left after ${mode.name}`);
      return {
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: Math.max(...latencies),
        idleCpuMsPerSec,
      };
    };

    // Warm-up (JIT, first connections), not recorded: both SDK strategies on a few hundred waits.
    for (const mode of modes.filter((m) => m.name.startsWith("SDK"))) {
      await runMode(mode, Math.min(200, WAITERS), null, 300);
    }

    const samples = new Map<string, Sample[]>(modes.map((m) => [m.name, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const mode of modes) {
        const sample = await runMode(mode, WAITERS, IDLE_MS);
        samples.get(mode.name)!.push(sample);
        console.error(
          `round ${round} ${mode.name}: p50 ${sample.p50.toFixed(2)} ms, p99 ${sample.p99.toFixed(2)} ms, idle CPU ${sample.idleCpuMsPerSec.toFixed(1)} ms/s, load ${os.loadavg()[0]!.toFixed(2)}`,
        );
      }
    }
    printTable(samples, performance.now() - started, loadAtStart);
  } finally {
    await Promise.all(boards.map((b) => b.close()));
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function printTable(samples: Map<string, Sample[]>, elapsedMs: number, loadAtStart: number[]) {
  const summary = [...samples].map(([name, runs]) => ({
    name,
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    max: median(runs.map((r) => r.max)),
    cpu: median(runs.map((r) => r.idleCpuMsPerSec)),
  }));
  const baseline = summary.find((s) => s.name === "polling every 5 s")!;
  const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0));
  console.log(
    `\n${WAITERS} concurrent waits, ${ROUNDS} rounds (medians of per-round values), idle window ${IDLE_MS / 1000} s\n`,
  );
  console.log("| mode | p50 ms | p99 ms | max ms | idle CPU ms/s | 5 s polling p99 ÷ this p99 |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
  for (const row of summary) {
    console.log(
      `| ${row.name} | ${fmt(row.p50)} | ${fmt(row.p99)} | ${fmt(row.max)} | ${row.cpu.toFixed(1)} | ${(baseline.p99 / row.p99).toFixed(0)}× |`,
    );
  }
  const cpus = os.cpus();
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(" ");
  console.log(
    `\nmachine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? "unknown CPU"}), Node ${process.version}, ${os.platform()}/${os.arch()}; ` +
      `load average ${load(loadAtStart)} at start, ${load(os.loadavg())} at end; run took ${(elapsedMs / 1000).toFixed(0)} s`,
  );
}

const hardDeadline = setTimeout(() => {
  console.error(`approval-wake: hard deadline of ${HARD_DEADLINE_MS / 1000} s reached`);
  process.exit(1);
}, HARD_DEADLINE_MS);
hardDeadline.unref();

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
