/**
 * Child processes of the sync fan-out benchmark, seen from the parent: spawned through tsx with an IPC
 * channel, every request bounded by a timeout, and every child killed on every exit path of the parent.
 * Children also exit by themselves when the IPC channel closes (the parent died), so none is orphaned.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { rmSync } from "node:fs";
import { type EventLoopUtilization, performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { ChildMessage, CpuReport, ParentMessage } from "./shared.js";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const STOP_TIMEOUT_MS = 10_000;

const live = new Set<ChildProcess>();
/** Temp dirs of live children, removed here if a child had to be killed before it could remove them. */
const dirs = new Map<ChildProcess, string>();

/**
 * SIGKILLs every child still alive, by its own PID, and removes the temp dirs they left. Synchronous, so it
 * is safe in a process "exit" handler.
 */
export function killAllChildren(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  live.clear();
  for (const dir of dirs.values()) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

type Reply<T extends ChildMessage["type"]> = Extract<ChildMessage, { type: T }>;

export class BenchChild {
  private readonly inbox: ChildMessage[] = [];
  private readonly waiters = new Set<() => void>();
  private exited = false;
  private readonly stderrTail: string[] = [];

  private constructor(
    readonly name: string,
    readonly process: ChildProcess,
  ) {
    process.on("message", (message) => {
      this.inbox.push(message as ChildMessage);
      this.wake();
    });
    process.on("exit", () => {
      this.exited = true;
      live.delete(process);
      // A clean stop removed it already; a crash or a kill did not.
      const dir = dirs.get(process);
      if (dir) rmSync(dir, { recursive: true, force: true });
      dirs.delete(process);
      this.wake();
    });
    process.stderr?.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      this.stderrTail.push(text);
      if (this.stderrTail.length > 20) this.stderrTail.shift();
      globalThis.process.stderr.write(`[${name}] ${text}`);
    });
  }

  /** `entry` is a .ts file run through tsx; `nodeArgs` go before it (e.g. --cpu-prof). */
  static spawn(name: string, entry: string, args: string[] = [], nodeArgs: string[] = []): BenchChild {
    const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", entry, ...args], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "inherit", "pipe", "ipc"],
    });
    live.add(child);
    return new BenchChild(name, child);
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Removes `dir` once this child has exited, however it exited (and on the parent's own exit). */
  ownsDir(dir: string): void {
    dirs.set(this.process, dir);
  }

  send(message: ParentMessage): void {
    if (!this.exited && this.process.connected) this.process.send(message);
  }

  /** The next message of `type` (earlier ones of other types stay queued); fails on timeout, exit or fatal. */
  async next<T extends ChildMessage["type"]>(type: T, timeoutMs: number): Promise<Reply<T>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const fatal = this.inbox.find((m) => m.type === "fatal");
      if (fatal && fatal.type === "fatal") throw new Error(`${this.name}: ${fatal.message}`);
      const index = this.inbox.findIndex((m) => m.type === type);
      if (index >= 0) return this.inbox.splice(index, 1)[0] as Reply<T>;
      if (this.exited) {
        const tail = this.stderrTail.join("").slice(-2000);
        throw new Error(`${this.name} exited before "${type}"${tail ? `:\n${tail}` : ""}`);
      }
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw new Error(`${this.name}: no "${type}" within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, remaining);
        this.waiters.add(done);
      });
    }
  }

  async request<T extends ChildMessage["type"]>(
    message: ParentMessage,
    reply: T,
    timeoutMs: number,
  ): Promise<Reply<T>> {
    this.send(message);
    return this.next(reply, timeoutMs);
  }

  /** Asks the child to stop (it closes its sockets and exits); SIGKILL by PID if it has not in time. */
  async stop(): Promise<void> {
    if (this.exited) return;
    const exited = once(this.process, "exit");
    this.send({ type: "stop" });
    const timer = setTimeout(() => this.process.kill("SIGKILL"), STOP_TIMEOUT_MS);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * For the child side: runs `onMessage` for each parent message, and exits when the parent goes away (IPC
 * closed), so a killed parent never leaves a server or 1000 sockets behind.
 */
export function childChannel(
  onMessage: (message: ParentMessage) => void,
  onParentGone: () => void = () => process.exit(0),
): (message: ChildMessage) => void {
  if (!process.send) throw new Error("run me through bench/sync-fanout.bench.ts (needs an IPC channel)");
  process.on("message", (message) => onMessage(message as ParentMessage));
  process.on("disconnect", onParentGone);
  return (message) => {
    if (process.connected) process.send?.(message);
  };
}

/** This process's CPU (user, system) and event-loop utilization between `start` and `stop`. */
export function cpuWindow(): { start(): void; stop(): CpuReport } {
  let cpu: NodeJS.CpuUsage | undefined;
  let elu: EventLoopUtilization | undefined;
  return {
    start() {
      cpu = process.cpuUsage();
      elu = performance.eventLoopUtilization();
    },
    stop() {
      const used = process.cpuUsage(cpu);
      return {
        userUs: used.user,
        systemUs: used.system,
        elu: performance.eventLoopUtilization(elu).utilization,
      };
    },
  };
}
