import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Drives the real `agentboard` CLI the way users and CI do: `node packages/server/bin/agentboard.js …`
 * (which runs the build, so `npm run build` first). Every child is registered; `cleanupCli()` in an
 * `afterEach` kills whatever a failed test left running and removes the temp dirs, and a process `exit`
 * hook kills the rest if the test worker goes down first, so no server outlives the run.
 */

export const CLI_BIN = fileURLToPath(new URL("../../packages/server/bin/agentboard.js", import.meta.url));

/** How to run `agentboard`: `command …args <cli args>` in `cwd`. */
export interface CliLauncher {
  command: string;
  args: string[];
  cwd?: string;
  /**
   * Run it in a process group of its own and signal the whole group: needed when the launcher is a wrapper
   * such as `npx`, which dies on SIGTERM without passing it on, so signalling its PID alone would leave the
   * server running.
   */
  processGroup?: boolean;
}

/** The repository's build (the default). */
export const REPO_CLI: CliLauncher = { command: process.execPath, args: [CLI_BIN] };

/** Environment overrides; `undefined` removes a variable. */
export type Env = Record<string, string | undefined>;

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CliResult extends ExitInfo {
  stdout: string;
  stderr: string;
}

export interface TrackedChild {
  child: ChildProcess;
  pid: number;
  /** Resolves once the process has exited (never rejects). */
  exited: Promise<ExitInfo>;
  hasExited(): boolean;
  /** Signals go to the process group `-pid` (spawned with `processGroup`). */
  processGroup: boolean;
}

const running = new Map<number, TrackedChild>();
const tempDirs = new Set<string>();

/** Process groups we started whose leader has exited but whose other members may still run. */
const groups = new Set<number>();

process.on("exit", () => {
  for (const tracked of running.values()) signalTracked(tracked, "SIGKILL");
  for (const pgid of groups) signalPid(-pgid, "SIGKILL");
});

/** process.kill without throwing for a process that is already gone; false when it was. */
function signalPid(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
    return false;
  }
}

function signalTracked(tracked: TrackedChild, signal: NodeJS.Signals): void {
  signalPid(tracked.processGroup ? -tracked.pid : tracked.pid, signal);
}

/**
 * The environment for a child: this process's, minus every AGENTBOARD_* variable (a developer's or CI's
 * settings must not change what a test sees), plus `overrides`.
 */
export function childEnv(overrides: Env = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("AGENTBOARD_")) env[name] = value;
  }
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** Spawns a registered child with piped stdout/stderr. */
export function spawnTracked(
  command: string,
  args: string[],
  options: { env?: Env; cwd?: string; processGroup?: boolean } = {},
): TrackedChild {
  const processGroup = options.processGroup ?? false;
  const child = spawn(command, args, {
    env: childEnv(options.env),
    cwd: options.cwd ?? tmpdir(),
    stdio: ["ignore", "pipe", "pipe"],
    detached: processGroup,
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${command} ${args.join(" ")}`);
  const pid = child.pid;
  if (processGroup) groups.add(pid);
  let done = false;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once("exit", (code, signal) => {
      done = true;
      running.delete(pid);
      resolve({ code, signal });
    });
  });
  const tracked: TrackedChild = { child, pid, exited, hasExited: () => done, processGroup };
  running.set(pid, tracked);
  return tracked;
}

/**
 * Sends `signal`, waits up to `graceMs` for the exit, then SIGKILLs and waits for that exit. For a process
 * group, "the exit" is the whole group's: its leader's, then no member left (checked with signal 0, since
 * only the leader is our child and can be awaited).
 */
export async function stopPid(
  tracked: TrackedChild,
  signal: NodeJS.Signals = "SIGTERM",
  graceMs = 15_000,
): Promise<ExitInfo> {
  if (!tracked.processGroup && tracked.hasExited()) return tracked.exited;
  signalTracked(tracked, signal);
  const deadline = Date.now() + graceMs;
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), graceMs);
  });
  try {
    const first = await Promise.race([tracked.exited, gaveUp]);
    if (first !== "timeout" && (!tracked.processGroup || (await groupGone(tracked.pid, deadline)))) {
      groups.delete(tracked.pid);
      return first;
    }
  } finally {
    clearTimeout(timer);
  }
  signalTracked(tracked, "SIGKILL");
  const exit = await tracked.exited;
  if (tracked.processGroup) await groupGone(tracked.pid, Date.now() + 5_000);
  groups.delete(tracked.pid);
  return exit;
}

/** Whether process group `pgid` has no member left by `deadline` (polled: a group cannot be awaited). */
async function groupGone(pgid: number, deadline: number): Promise<boolean> {
  while (signalPid(-pgid, 0)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/** Runs `agentboard …args` to completion; a run longer than `timeoutMs` is killed and rejects with its output. */
export function runCli(
  args: string[],
  options: { env?: Env; timeoutMs?: number; cwd?: string; cli?: CliLauncher } = {},
): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const cli = options.cli ?? REPO_CLI;
  const tracked = spawnTracked(cli.command, [...cli.args, ...args], {
    env: options.env,
    cwd: options.cwd ?? cli.cwd,
    processGroup: cli.processGroup ?? false,
  });
  let stdout = "";
  let stderr = "";
  tracked.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  tracked.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  return new Promise<CliResult>((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      signalTracked(tracked, "SIGKILL");
    }, timeoutMs);
    tracked.child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // "close" rather than "exit": it comes after both pipes are drained, so the output is complete.
    tracked.child.once("close", (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(
          new Error(
            `agentboard ${args.join(" ")} did not finish within ${timeoutMs} ms and was killed\n` +
              `stdout:\n${stdout}\nstderr:\n${stderr}`,
          ),
        );
        return;
      }
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface CliServer {
  pid: number;
  /** Base URL as printed by `start`, e.g. http://127.0.0.1:41011 (the real port even with --port 0). */
  url: string;
  port: number;
  /** The one-time login URL printed at start. */
  loginUrl: string;
  dataDir: string;
  exited: Promise<ExitInfo>;
  /** Everything the server wrote so far (for failure messages). */
  output(): { stdout: string; stderr: string };
  /** Signals the server by PID (default SIGTERM) and waits for it to exit; SIGKILL after a grace period. */
  stop(signal?: NodeJS.Signals): Promise<ExitInfo>;
}

const RUNNING_LINE = /agentboard is running at (http:\/\/\S+)/;
const LOGIN_LINE = /^\s*(http:\/\/\S+\/\?login=\S+)\r?\n/m;

/**
 * `agentboard start --port 0 --data-dir <dataDir> …args` in the background: waits (bounded) for the login URL
 * line, then for `agentboard wait-ready --url <url> --pid <pid>`; fails with the server's output and the
 * wait-ready diagnostics if either does not happen. The server is killed on any failure here.
 */
export async function startCliServer(options: {
  dataDir: string;
  env?: Env;
  args?: string[];
  startTimeoutMs?: number;
  /** Defaults to REPO_CLI; `wait-ready` runs through the same launcher. */
  cli?: CliLauncher;
}): Promise<CliServer> {
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const cli = options.cli ?? REPO_CLI;
  const args = ["start", "--port", "0", "--data-dir", options.dataDir, ...(options.args ?? [])];
  const tracked = spawnTracked(cli.command, [...cli.args, ...args], {
    env: { AGENTBOARD_LOG_LEVEL: "warn", ...options.env },
    cwd: cli.cwd,
    processGroup: cli.processGroup ?? false,
  });
  let stdout = "";
  let stderr = "";
  const output = () => ({ stdout, stderr });
  const describe = () => `command: agentboard ${args.join(" ")}\nstdout:\n${stdout}\nstderr:\n${stderr}`;

  // Keep draining both pipes for the server's whole life so it never blocks on a full pipe.
  tracked.child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const printed = new Promise<{ url: string; loginUrl: string }>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(new Error(`agentboard start printed no login URL within ${startTimeoutMs} ms\n${describe()}`)),
      startTimeoutMs,
    );
    tracked.child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      const running = RUNNING_LINE.exec(stdout);
      const login = LOGIN_LINE.exec(stdout);
      if (running?.[1] && login?.[1]) {
        clearTimeout(timer);
        resolve({ url: running[1], loginUrl: login[1] });
      }
    });
    // "close" (not "exit") so the output in the message is complete.
    tracked.child.once("close", (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      reject(
        new Error(
          `agentboard start exited (code ${code}, signal ${signal}) before printing a login URL\n${describe()}`,
        ),
      );
    });
  });

  let printedUrls: { url: string; loginUrl: string };
  try {
    printedUrls = await printed;
  } catch (error) {
    await stopPid(tracked, "SIGKILL");
    throw error;
  }
  const { url, loginUrl } = printedUrls;

  const server: CliServer = {
    pid: tracked.pid,
    url,
    port: Number(new URL(url).port),
    loginUrl,
    dataDir: options.dataDir,
    exited: tracked.exited,
    output,
    stop: (signal = "SIGTERM") => stopPid(tracked, signal),
  };

  const ready = await runCli(["wait-ready", "--url", url, "--pid", String(tracked.pid), "--timeout", "30"], {
    timeoutMs: 45_000,
    cli,
  }).catch(async (error: unknown) => {
    await stopPid(tracked, "SIGKILL");
    throw error;
  });
  if (ready.code !== 0) {
    await stopPid(tracked, "SIGKILL");
    throw new Error(
      `agentboard wait-ready exited ${ready.code}:\n${ready.stderr}${ready.stdout}\n${describe()}`,
    );
  }
  return server;
}

/** A fresh directory under the OS temp dir, removed by `cleanupCli()`. */
export function makeTempDir(prefix = "agentboard-e2e-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** For `afterEach`: SIGKILL every child still running, wait for each to exit, then remove the temp dirs. */
export async function cleanupCli(): Promise<void> {
  const left = [...running.values()];
  await Promise.all(left.map((tracked) => stopPid(tracked, "SIGKILL")));
  for (const pgid of groups) signalPid(-pgid, "SIGKILL");
  await Promise.all([...groups].map((pgid) => groupGone(pgid, Date.now() + 5_000)));
  groups.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** A port nothing listens on right now (bound and released by this process). */
export { freePort } from "@agentboard/test-support";

export interface HttpResult {
  status: number;
  /** Parsed JSON (any shape: tests assert on it), or the text when the answer is not JSON. */
  body: any;
  headers: Headers;
}

/** One HTTP request with a JSON body (when given) and a parsed JSON answer (text when not JSON). */
export async function http(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(url, {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body, headers: response.headers };
}

/** The token `agentboard token create` printed alone on its last line. */
export function lastLine(text: string): string {
  return text.trimEnd().split("\n").at(-1)?.trim() ?? "";
}
