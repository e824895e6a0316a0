/**
 * Approval wake-up benchmark: how fast a waiting agent resumes after a human's decision commits, and what
 * waiting costs while nobody decides, for our event-driven waits against polling loops in the same run.
 *
 *   npm run bench:approval-wake        (= npx tsx bench/approval-wake.bench.ts, about 90 s)
 *
 * One real server (startServer, SQLite in a temp dir, port 0) runs in this process, and so do the 1000
 * clients; "CPU" is therefore the whole process: server and clients together. Each round runs every mode
 * on 1000 fresh pending approvals:
 *
 * - waiter registry: ApprovalService.wait in-process, no HTTP (the server's own wake-up cost);
 * - SDK wait(): `handle.wait()` of @agentboard/client, i.e. GET /api/approvals/:id/wait long-polls over
 *   1000 real HTTP connections, answered by the waiter registry;
 * - polling every 1 s / 5 s: GET /api/approvals/:id in a loop, each client starting at a random phase.
 *
 * A mode starts its 1000 waits, lets them settle (1 s), measures process CPU over a 2 s idle window, then approves all 1000 at uniformly random times
 * within 2 s through ApprovalService.approve. Latency runs from the commit (the service's post-commit event)
 * to the moment the client holds the decided approval. With random phases polling latency is uniform over
 * one interval whatever the decision window, so the 2 s window serves the polling baselines too; only the
 * tail after the last decision is an interval long. Three rounds after a warm-up; the table shows medians.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os, { tmpdir } from "node:os";
import { join } from "node:path";
import { createBoardClient } from "../packages/client/src/index.js";
import type { Approval } from "../packages/protocol/src/index.js";
import type { Principal } from "../packages/server/src/auth/principal.js";
import { loadConfig } from "../packages/server/src/config.js";
import { createLogger } from "../packages/server/src/observability/logger.js";
import { startServer } from "../packages/server/src/runtime/start-server.js";

const WAITERS = 1000;
const ROUNDS = 3;
const IDLE_MS = 2_000;
/** Let every waiter's first read (and the garbage of creating 1000 approvals) finish before measuring idle. */
const SETUP_GRACE_MS = 1_000;
/** Decisions of one mode are spread over this window: 500 commits/s, each fsync'd (synchronous=FULL). */
const DECIDE_MS = 2_000;

interface Mode {
  name: string;
  /** Starts one waiter per id; each calls `resumed(id)` when it holds the decided approval. */
  start(ids: string[], resumed: (id: string) => void): Promise<unknown>[];
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

async function main() {
  const started = performance.now();
  const dataDir = mkdtempSync(join(tmpdir(), "agentboard-bench-wake-"));
  const config = loadConfig({
    env: { AGENTBOARD_LOG_LEVEL: "silent", AGENTBOARD_RATE_LIMIT_PER_MINUTE: "1000000" },
    flags: { port: 0, dataDir },
  });
  const server = await startServer(config, createLogger("silent"));
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
    const board = createBoardClient({ url: server.url, token: agentToken, timeoutMs: 120_000 });

    const commits = new Map<string, number>();
    approvals.onEvent(({ event, approval }) => {
      if (event === "decided") commits.set(approval.id, performance.now());
    });

    const poller =
      (intervalMs: number): Mode["start"] =>
      (ids, resumed) =>
        ids.map(async (id) => {
          await sleep(Math.random() * intervalMs);
          for (;;) {
            const approval: Approval = await board.approvals.get(id);
            if (approval.status !== "pending") return resumed(id);
            await sleep(intervalMs);
          }
        });

    const modes: Mode[] = [
      {
        name: "waiter registry (in-process)",
        start: (ids, resumed) =>
          ids.map(async (id) => {
            await approvals.wait(agent, id, { timeoutMs: 120_000 });
            resumed(id);
          }),
      },
      {
        name: "SDK wait() (long-poll, HTTP)",
        start: (ids, resumed) => {
          const handles = ids.map((id) => board.approvals.handle(id));
          return handles.map(async (handle) => {
            const approval = await (await handle).wait({ timeoutMs: 120_000 });
            resumed(approval.id);
          });
        },
      },
      { name: "polling every 1 s", start: poller(1_000) },
      { name: "polling every 5 s", start: poller(5_000) },
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

      const resumes = new Map<string, number>();
      const waits = mode.start(ids, (id) => resumes.set(id, performance.now()));
      if (mode.name.startsWith("SDK")) {
        while (approvals.waiters.size < count) await sleep(10);
      }
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
      await Promise.all(waits);
      const latencies = ids.map((id) => resumes.get(id)! - commits.get(id)!);
      if (latencies.some((ms) => !Number.isFinite(ms)))
        throw new Error(`${mode.name}: a wake-up was not measured`);
      if (approvals.waiters.size !== 0)
        throw new Error(`${approvals.waiters.size} waiters left after ${mode.name}`);
      return {
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: Math.max(...latencies),
        idleCpuMsPerSec,
      };
    };

    // Warm-up (JIT, first connections), not recorded: the HTTP long-poll on a few hundred waits.
    for (const mode of modes.filter((m) => m.name.startsWith("SDK"))) {
      await runMode(mode, 200, null, 300);
    }

    const samples = new Map<string, Sample[]>(modes.map((m) => [m.name, []]));
    for (let round = 1; round <= ROUNDS; round++) {
      for (const mode of modes) {
        const sample = await runMode(mode, WAITERS, IDLE_MS);
        samples.get(mode.name)!.push(sample);
        console.error(
          `round ${round} ${mode.name}: p50 ${sample.p50.toFixed(2)} ms, p99 ${sample.p99.toFixed(2)} ms, idle CPU ${sample.idleCpuMsPerSec.toFixed(1)} ms/s`,
        );
      }
    }
    printTable(samples, performance.now() - started);
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function printTable(samples: Map<string, Sample[]>, elapsedMs: number) {
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
  console.log(
    `\nmachine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? "unknown CPU"}), Node ${process.version}, ${os.platform()}/${os.arch()}; run took ${(elapsedMs / 1000).toFixed(0)} s`,
  );
}

await main();
