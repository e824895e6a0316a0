/** What the cluster benchmarks share: child nodes, fresh Redis prefix + PostgreSQL schema, stats, machine line. */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import os from "node:os";
import { fileURLToPath } from "node:url";
import { deletePrefix, freshPostgres, randomPrefix, testRedis } from "@agentboard/test-support";
import type { NodeReady, NodeSettings } from "./cluster-node.js";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const NODE_ENTRY = fileURLToPath(new URL("./cluster-node.ts", import.meta.url));
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export interface BenchNode extends NodeReady {
  stop(): Promise<void>;
}

/** Resolves with the child's first stdout line; rejects if it exits or stays silent too long. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = "";
    const timer = setTimeout(() => finish(new Error("bench node did not start in time")), START_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const end = buffered.indexOf("\n");
      if (end >= 0) finish(undefined, buffered.slice(0, end));
    };
    const onExit = (code: number | null) =>
      finish(new Error(`bench node exited with ${code} before it was ready`));
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

export async function spawnNode(settings: NodeSettings): Promise<BenchNode> {
  const child = spawn(process.execPath, ["--import", "tsx", NODE_ENTRY, JSON.stringify(settings)], {
    cwd: REPO_ROOT,
    stdio: ["pipe", "pipe", "inherit"],
  });
  try {
    const ready = JSON.parse(await firstLine(child)) as NodeReady;
    return { ...ready, stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

/** A fresh Redis prefix and PostgreSQL schema (migrated), removed by `drop`. */
export async function freshClusterData() {
  const postgres = await freshPostgres();
  const prefix = randomPrefix();
  const redis = testRedis();
  return {
    prefix,
    schema: postgres.schema,
    redis,
    postgres,
    async drop() {
      await deletePrefix(redis, prefix);
      redis.disconnect();
      await postgres.drop();
    },
  };
}

/** Two cluster nodes (children) on fresh data; `stop` ends them and drops the data. */
export async function spawnCluster(users: number, nodes = 2) {
  const data = await freshClusterData();
  const started = await Promise.all(
    Array.from({ length: nodes }, () =>
      spawnNode({ mode: "cluster", prefix: data.prefix, schema: data.schema, users }),
    ),
  );
  return {
    nodes: started,
    data,
    async stop() {
      await Promise.all(started.map((node) => node.stop()));
      await data.drop();
    },
  };
}

/** Nearest-rank percentile (p in 0..100) of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const fmt = (n: number) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0));

export function machineLine(elapsedMs: number): string {
  const cpus = os.cpus();
  return `machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? "unknown CPU"}), Node ${process.version}, ${os.platform()}/${os.arch()}; run took ${(elapsedMs / 1000).toFixed(0)} s`;
}

export async function request(
  url: string,
  token: string,
  method: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
