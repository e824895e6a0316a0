import type { AgentStatus } from "@agentboard/protocol";
import type { Selectable } from "kysely";
import pLimit from "p-limit";
import type { AgentsTable } from "../storage/schema.js";
import type { AgentDirectory, ProbeResult } from "./agent-directory.js";
import { fetchAgentCard } from "./card-fetcher.js";
import { inProcessSweepLock, type SweepLock } from "./sweep-lock.js";

type AgentRow = Selectable<AgentsTable>;

/** Consecutive failures that make an agent unhealthy, and successes that make it healthy again. */
export const FAILURES_TO_UNHEALTHY = 3;
export const SUCCESSES_TO_HEALTHY = 2;
/** Outcomes per transaction at most: the statements of one run without yielding, so a batch stays short. */
const WRITE_BATCH = 32;
/** Weight of the newest latency sample in the moving average. */
const EWMA_ALPHA = 0.3;

export interface ProberOptions {
  directory: Pick<AgentDirectory, "remoteRows" | "recordProbes">;
  /** Mean time between sweeps; each wait is jittered ±20 % so nodes and restarts do not line up. */
  intervalMs: number;
  /** One probe (a fetch of the agent's card) gives up after this; a sweep takes about this at worst. */
  timeoutMs: number;
  /** Probes in flight at once. */
  concurrency?: number;
  /** A dead agent is probed at most this rarely (the backoff doubles from one interval up to this). */
  maxBackoffMs?: number;
  lock?: SweepLock;
  allowPrivateNetwork?: boolean;
  /** Origins admitted on private addresses all the same (see SsrfPolicy). */
  privateOrigins?: ReadonlySet<string>;
  /** One probe; resolves with nothing when the agent answered well. Default: fetch and validate its card. */
  probe?: (cardUrl: string, signal: AbortSignal) => Promise<void>;
  observer?: ProberObserver;
  now?: () => Date;
  log?: { warn(details: object, message: string): void };
}

export interface ProberObserver {
  onProbe?(outcome: "ok" | "failed", ms: number): void;
  onSweep?(agents: number, ms: number): void;
}

export interface SweepResult {
  /** False when another node holds this interval's lease or a sweep was already running here. */
  swept: boolean;
  probed: number;
  ms: number;
}

/**
 * The health prober of remote A2A agents. A sweep probes every remote agent due (dead ones back off) with
 * at most `concurrency` probes in flight, each bounded by `timeoutMs`, so hung agents cost one timeout per
 * sweep, not one each. Status moves with hysteresis: `unhealthy` after 3 failures in a row, `healthy` after
 * 2 successes in a row; a healthy agent that fails once or twice is `degraded` and stays so until 2
 * successes, so an agent that fails every other probe changes status once, not at every sweep. The state
 * lives in the agents table, so the next sweep (maybe on another node) continues from it.
 */
export class AgentProber {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SweepResult> | undefined;
  /** Outcomes not yet written, and the write in progress (it takes everything queued meanwhile too). */
  private unwritten: ProbeResult[] = [];
  private writing: Promise<void> | undefined;
  private closed = false;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly now: () => Date;
  private readonly probe: (cardUrl: string, signal: AbortSignal) => Promise<void>;

  constructor(private readonly options: ProberOptions) {
    this.limit = pLimit(options.concurrency ?? 16);
    this.now = options.now ?? (() => new Date());
    this.probe =
      options.probe ??
      (async (cardUrl, signal) => {
        await fetchAgentCard(cardUrl, {
          allowPrivateNetwork: options.allowPrivateNetwork,
          privateOrigins: options.privateOrigins,
          timeoutMs: options.timeoutMs,
          signal,
        });
      });
  }

  /** Starts the jittered schedule; sweeps errors are logged, never thrown. */
  start(): void {
    if (this.closed || this.timer) return;
    const next = () => {
      const wait = this.options.intervalMs * (0.8 + Math.random() * 0.4);
      this.timer = setTimeout(() => {
        void this.sweep()
          .catch((error: unknown) => this.options.log?.warn({ err: error }, "agent health sweep failed"))
          .finally(() => {
            if (!this.closed) next();
          });
      }, wait);
      this.timer.unref();
    };
    next();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  /**
   * One sweep now (the schedule calls this; tests drive it directly). `at` is the time the backoff of dead
   * agents is judged against (default now), so a test can sweep "an hour later" without waiting an hour.
   */
  async sweep(options: { at?: Date } = {}): Promise<SweepResult> {
    if (this.running) return { swept: false, probed: 0, ms: 0 };
    const run = this.runSweep(options.at ?? this.now());
    this.running = run;
    try {
      return await run;
    } finally {
      this.running = undefined;
    }
  }

  private async runSweep(at: Date): Promise<SweepResult> {
    const lock = this.options.lock ?? inProcessSweepLock;
    if (!(await lock.tryAcquire(this.options.intervalMs * 0.8))) return { swept: false, probed: 0, ms: 0 };
    const started = performance.now();
    const now = at.getTime();
    const due = (await this.options.directory.remoteRows())
      .filter((row) => row.card_url && (!row.next_probe_at || Date.parse(row.next_probe_at) <= now))
      // Agents that failed last time go first: if they hang again, their timeouts run alongside the other
      // probes instead of starting only once the queue in front of them has drained.
      .sort((a, b) => b.failures - a.failures);
    // Settled, not all: a failed write ends the sweep only once its other probes are done, so none of them
    // runs on into the next sweep.
    const outcomes = await Promise.allSettled(due.map((row) => this.limit(() => this.probeOne(row, at))));
    const ms = performance.now() - started;
    this.options.observer?.onSweep?.(due.length, ms);
    const failed = outcomes.find((outcome) => outcome.status === "rejected");
    if (failed) throw failed.reason;
    return { swept: true, probed: due.length, ms };
  }

  private async probeOne(row: AgentRow, at: Date): Promise<void> {
    if (this.closed) return;
    const started = performance.now();
    let ok = true;
    try {
      await this.probe(row.card_url as string, AbortSignal.timeout(this.options.timeoutMs));
    } catch {
      ok = false;
    }
    const ms = performance.now() - started;
    this.options.observer?.onProbe?.(ok ? "ok" : "failed", ms);
    await this.record({ row, update: nextState(row, ok, ms, at, this.options) });
  }

  /**
   * Queues one outcome and resolves once it is stored. The outcomes of the answers read in one turn of the
   * event loop are written together, up to WRITE_BATCH per transaction: a commit of the embedded SQLite
   * store is a synchronous fsync (`synchronous = FULL`), a few ms of blocked event loop each, so one per
   * agent would stall the server for seconds per sweep at a few hundred agents.
   */
  private record(result: ProbeResult): Promise<void> {
    this.unwritten.push(result);
    this.writing ??= this.writeQueued();
    return this.writing;
  }

  private async writeQueued(): Promise<void> {
    try {
      while (this.unwritten.length > 0) {
        // Let the answers that already arrived be read first, so their outcomes join this write.
        await new Promise((resolve) => setImmediate(resolve));
        await this.options.directory.recordProbes(this.unwritten.splice(0, WRITE_BATCH));
      }
    } catch (error) {
      // Everyone waiting gets this error; outcomes queued behind it are dropped with it (the next sweep
      // probes those agents again) rather than written later over a newer state.
      this.unwritten = [];
      throw error;
    } finally {
      // Runs right after the loop saw an empty queue, with no await in between: nothing queued is missed.
      this.writing = undefined;
    }
  }
}

/** The hysteresis and backoff, as a pure function of the stored state and one probe's outcome. */
export function nextState(
  row: Pick<AgentRow, "status" | "failures" | "successes" | "latency_ms">,
  ok: boolean,
  ms: number,
  now: Date,
  options: Pick<ProberOptions, "intervalMs" | "maxBackoffMs">,
): Pick<AgentRow, "status" | "latency_ms" | "checked_at" | "failures" | "successes" | "next_probe_at"> {
  const checked_at = now.toISOString();
  if (ok) {
    const successes = row.successes + 1;
    let status: AgentStatus = row.status;
    if (successes >= SUCCESSES_TO_HEALTHY) status = "healthy";
    const latency_ms = row.latency_ms === null ? ms : EWMA_ALPHA * ms + (1 - EWMA_ALPHA) * row.latency_ms;
    return { status, latency_ms, checked_at, failures: 0, successes, next_probe_at: null };
  }
  const failures = row.failures + 1;
  let status: AgentStatus = row.status;
  if (failures >= FAILURES_TO_UNHEALTHY) status = "unhealthy";
  else if (row.status === "healthy") status = "degraded";
  let next_probe_at: string | null = null;
  if (failures >= FAILURES_TO_UNHEALTHY) {
    // Dead: one interval after the third failure, doubling up to the cap.
    const backoff = Math.min(
      options.intervalMs * 2 ** (failures - FAILURES_TO_UNHEALTHY),
      options.maxBackoffMs ?? options.intervalMs * 16,
    );
    next_probe_at = new Date(now.getTime() + backoff).toISOString();
  }
  return { status, latency_ms: row.latency_ms, checked_at, failures, successes: 0, next_probe_at };
}
