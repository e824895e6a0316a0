import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { JsonPatchOp } from "../../packages/protocol/src/json-patch/patch-op.js";
import type { ServerReady } from "./patch-http-server.js";
import { timeSequential, type WriteRun } from "./patch-stats.js";
import { cyclingEdit, titleEdit } from "./patch-workload.js";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SERVER_ENTRY = fileURLToPath(new URL("./patch-http-server.ts", import.meta.url));
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export interface BenchServer {
  ready: ServerReady;
  stop(): Promise<void>;
}

/** Resolves with the child's first stdout line; rejects if it exits or stays silent too long. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => finish(new Error("bench server did not start in time")), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const end = buffered.indexOf("\n");
      if (end >= 0) finish(undefined, buffered.slice(0, end));
    };
    const onExit = (code: number | null) =>
      finish(new Error(`bench server exited with ${code} before it was ready`));
    function finish(error?: Error, line?: string) {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
      if (error) reject(error);
      else resolve(line ?? "");
    }
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
  });
}

/** Ends the child by closing its stdin; SIGKILL by its PID if it has not exited in time. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.stdin?.end();
  const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** A fresh server (fresh data dir) in a child process, with one dashboard seeded with the benchmark state. */
export async function spawnBenchServer(documentBytes: number, clients: number): Promise<BenchServer> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", SERVER_ENTRY, String(documentBytes), String(clients)],
    {
      cwd: REPO_ROOT,
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  try {
    const ready = JSON.parse(await firstLine(child)) as ServerReady;
    return { ready, stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

function isRevBody(body: unknown): body is { rev: number } {
  return typeof body === "object" && body !== null && typeof (body as { rev?: unknown }).rev === "number";
}

/** One PATCH /api/dashboards/:id/state; anything but 200 aborts the benchmark (a 409 would skew it). */
async function patchOnce(
  ready: ServerReady,
  token: string,
  baseRev: number,
  ops: JsonPatchOp[],
): Promise<number> {
  const response = await fetch(`${ready.url}/api/dashboards/${ready.dashboardId}/state`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ baseRev, ops }),
  });
  const body: unknown = await response.json();
  if (response.status !== 200 || !isRevBody(body)) {
    throw new Error(`PATCH answered ${response.status}: ${JSON.stringify(body)}`);
  }
  return body.rev;
}

/** One client, one request at a time, baseRev = the rev of its previous answer (current: no rebase). */
export async function runSequentialHttp(
  ready: ServerReady,
  warmup: number,
  count: number,
): Promise<WriteRun> {
  const token = ready.tokens[0]!;
  let rev = ready.rev;
  const write = async (i: number) => {
    rev = await patchOnce(ready, token, rev, cyclingEdit(ready.widgetIds, "http", i).ops);
  };
  for (let i = 0; i < warmup; i++) await write(i);
  return timeSequential(count, (i) => write(warmup + i));
}

interface ClientResult {
  lastRev: number;
  latenciesMs: number[];
  /** Writes whose baseRev was behind the document when they committed, i.e. the server rebased them. */
  rebased: number;
}

/** Client `client` owns widget `client`: every client's paths are disjoint from every other's. */
async function clientLoop(
  ready: ServerReady,
  client: number,
  startRev: number,
  count: number,
): Promise<ClientResult> {
  const token = ready.tokens[client]!;
  const widgetId = ready.widgetIds[client]!;
  const result: ClientResult = { lastRev: startRev, latenciesMs: [], rebased: 0 };
  for (let i = 0; i < count; i++) {
    const { ops } = titleEdit(widgetId, `client ${client}`, i);
    const t0 = performance.now();
    const rev = await patchOnce(ready, token, result.lastRev, ops);
    result.latenciesMs.push(performance.now() - t0);
    // Committed at rev, so the document was at rev - 1: anything above our base was someone else's write.
    if (rev - 1 > result.lastRev) result.rebased++;
    result.lastRev = rev;
  }
  return result;
}

/** Every client runs to the end even if one fails, so no request is left in flight; then the first error. */
async function allClients(
  ready: ServerReady,
  startRevs: readonly number[],
  countPerClient: number,
): Promise<ClientResult[]> {
  const settled = await Promise.allSettled(
    startRevs.map((startRev, client) => clientLoop(ready, client, startRev, countPerClient)),
  );
  const failed = settled.find((s) => s.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<ClientResult>).value);
}

export interface ConcurrentRun extends WriteRun {
  /** Share of measured writes the server had to rebase over other clients' writes. */
  rebasedShare: number;
}

/** `clients` clients on the same document at once, each PATCHing its own widget from its own (stale) rev. */
export async function runConcurrentHttp(
  ready: ServerReady,
  clients: number,
  warmupPerClient: number,
  countPerClient: number,
): Promise<ConcurrentRun> {
  if (ready.widgetIds.length < clients || ready.tokens.length < clients) {
    throw new Error(`need ${clients} widgets and tokens for ${clients} disjoint clients`);
  }
  const warmed = await allClients(ready, new Array<number>(clients).fill(ready.rev), warmupPerClient);
  const started = performance.now();
  const results = await allClients(
    ready,
    warmed.map((r) => r.lastRev),
    countPerClient,
  );
  const elapsedMs = performance.now() - started;
  const writes = clients * countPerClient;
  const rebased = results.reduce((sum, r) => sum + r.rebased, 0);
  return {
    writes,
    elapsedMs,
    latenciesMs: results.flatMap((r) => r.latenciesMs),
    rebasedShare: rebased / writes,
  };
}
