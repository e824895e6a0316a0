import { readFileSync } from "node:fs";

/**
 * `agentboard wait-ready`: poll `<url>/readyz` until it answers 200, for e2e tests and CI that start a
 * server in the background. Fails fast when the server's process dies and explains failures.
 */

export interface WaitReadyOptions {
  /** Base URL such as http://127.0.0.1:7800; a trailing slash or a full .../readyz URL also works. */
  url: string;
  /** Overall deadline for the whole wait. */
  timeoutMs: number;
  /** Stop as soon as this process no longer exists (or is a zombie nobody reaped). */
  pid?: number;
  /** First retry delay (default 100); grows x1.5 with jitter up to 1000 ms. */
  intervalMs?: number;
  /** Per-attempt limit covering connect, headers and body (default 2000). */
  requestTimeoutMs?: number;
  /** Caller abort. */
  signal?: AbortSignal;
  onAttempt?: (a: { attempt: number; error?: string; status?: number }) => void;
}

export type WaitReadyResult =
  | { ok: true; attempts: number; elapsedMs: number; body: unknown }
  | {
      ok: false;
      reason: "timeout" | "process_exited" | "aborted" | "invalid_url";
      attempts: number;
      elapsedMs: number;
      /** Why the most recent attempt got no HTTP response (cleared when a response arrives). */
      lastError?: string;
      /** Status and body of the most recent HTTP response received. */
      lastStatus?: number;
      lastBody?: unknown;
      /** The /readyz URL that was polled (the input as given when it was invalid). */
      url: string;
      port?: number;
      pid?: number;
    };

type WaitReadyFailure = Extract<WaitReadyResult, { ok: false }>;
type StopReason = "timeout" | "process_exited" | "aborted";

const DEFAULT_INTERVAL_MS = 100;
const MAX_INTERVAL_MS = 1000;
const DEFAULT_REQUEST_TIMEOUT_MS = 2000;
const PID_POLL_MS = 100;
const MAX_BODY_CHARS = 4000;

export async function waitReady(options: WaitReadyOptions): Promise<WaitReadyResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const { timeoutMs, pid, signal, onAttempt } = options;
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  checkRange("timeoutMs", timeoutMs, 0);
  checkRange("intervalMs", intervalMs, 1);
  checkRange("requestTimeoutMs", requestTimeoutMs, 1);
  // pid 0 or negative would make process.kill address a whole process group.
  if (pid !== undefined && !(Number.isSafeInteger(pid) && pid > 0)) {
    throw new RangeError(`pid must be a positive integer, got ${pid}`);
  }

  const target = readyzUrl(options.url);
  if (!target) {
    return { ok: false, reason: "invalid_url", attempts: 0, elapsedMs: elapsed(), url: options.url, pid };
  }
  const { href, port } = target;

  let attempts = 0;
  let lastError: string | undefined;
  let lastStatus: number | undefined;
  let lastBody: unknown;
  const fail = (reason: WaitReadyFailure["reason"]): WaitReadyFailure => {
    const result: WaitReadyFailure = { ok: false, reason, attempts, elapsedMs: elapsed(), url: href, port };
    if (pid !== undefined) result.pid = pid;
    if (lastError !== undefined) result.lastError = lastError;
    if (lastStatus !== undefined) {
      result.lastStatus = lastStatus;
      result.lastBody = lastBody;
    }
    return result;
  };

  // One internal controller carries every reason to stop (deadline, caller abort, process exit), so the
  // in-flight request and the sleep between attempts are both cut short by any of them.
  const stop = new AbortController();
  let stopReason: StopReason | undefined;
  const stopWith = (reason: StopReason) => {
    if (stopReason) return;
    stopReason = reason;
    stop.abort(new Error(`wait-ready stopped: ${reason}`));
  };
  const onCallerAbort = () => stopWith("aborted");
  let deadlineTimer: NodeJS.Timeout | undefined;
  let pidTimer: NodeJS.Timeout | undefined;

  try {
    if (signal?.aborted) return fail("aborted");
    if (pid !== undefined && !isProcessAlive(pid)) return fail("process_exited");
    signal?.addEventListener("abort", onCallerAbort, { once: true });
    deadlineTimer = setTimeout(() => stopWith("timeout"), timeoutMs);
    if (pid !== undefined) {
      // Poll between and during attempts so a dead server is noticed within PID_POLL_MS, not after the
      // current request times out.
      pidTimer = setInterval(() => {
        if (!isProcessAlive(pid)) stopWith("process_exited");
      }, PID_POLL_MS);
    }

    let delay = intervalMs;
    const maxDelay = Math.max(MAX_INTERVAL_MS, intervalMs);
    while (!stopReason) {
      // The sleep timer can beat the deadline timer by a tick; don't start an attempt that is already late.
      if (performance.now() - started >= timeoutMs) {
        stopWith("timeout");
        break;
      }
      attempts++;
      const outcome = await attempt(href, requestTimeoutMs, stop.signal);
      if (outcome.kind === "stopped") {
        if (stopReason === "timeout") {
          const error = `no response before the deadline (request pending ${outcome.pendingMs} ms)`;
          // Only the sole evidence when nothing came back earlier; otherwise an attempt cut short after a
          // few ms would hide the real story (ECONNREFUSED, a 503 with its components).
          if (lastError === undefined && lastStatus === undefined) lastError = error;
          onAttempt?.({ attempt: attempts, error });
        }
        break;
      }
      if (outcome.kind === "error") {
        lastError = outcome.error;
        onAttempt?.({ attempt: attempts, error: outcome.error });
      } else {
        lastError = undefined;
        lastStatus = outcome.status;
        lastBody = outcome.body;
        onAttempt?.({ attempt: attempts, status: outcome.status });
        if (outcome.status === 200) {
          return { ok: true, attempts, elapsedMs: elapsed(), body: outcome.body };
        }
      }
      // Check now rather than waiting for the next poll tick, so an exit is reported before another try.
      if (pid !== undefined && !isProcessAlive(pid)) stopWith("process_exited");
      if (stopReason) break;
      const remaining = timeoutMs - (performance.now() - started);
      const jittered = Math.min(maxDelay, delay * (0.8 + Math.random() * 0.4));
      await sleep(Math.max(0, Math.min(jittered, remaining)), stop.signal);
      delay = Math.min(maxDelay, delay * 1.5);
    }
    return fail(stopReason ?? "timeout");
  } finally {
    clearTimeout(deadlineTimer);
    clearInterval(pidTimer);
    signal?.removeEventListener("abort", onCallerAbort);
  }
}

type AttemptOutcome =
  | { kind: "response"; status: number; body: unknown }
  | { kind: "error"; error: string }
  | { kind: "stopped"; pendingMs: number };

/** One GET of /readyz; never rejects. */
async function attempt(href: string, requestTimeoutMs: number, stop: AbortSignal): Promise<AttemptOutcome> {
  const began = performance.now();
  // Our own timer instead of AbortSignal.timeout(): that one cannot be cleared and would linger for
  // requestTimeoutMs after every quick answer.
  const perRequest = new AbortController();
  const timer = setTimeout(() => perRequest.abort(new Error("request timeout")), requestTimeoutMs);
  try {
    const res = await fetch(href, {
      signal: AbortSignal.any([stop, perRequest.signal]),
      headers: { accept: "application/json" },
      redirect: "follow",
    });
    // Reading the body is covered by the same signal: a server can send headers and then stall.
    const text = await res.text();
    return { kind: "response", status: res.status, body: parseBody(text) };
  } catch (err) {
    if (stop.aborted) return { kind: "stopped", pendingMs: Math.round(performance.now() - began) };
    if (perRequest.signal.aborted) {
      return { kind: "error", error: `no response within ${requestTimeoutMs} ms` };
    }
    return { kind: "error", error: describeFetchError(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves after ms or as soon as signal aborts; the timer and listener are removed either way. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

function checkRange(name: string, value: number, min: number): void {
  if (!(Number.isFinite(value) && value >= min)) {
    throw new RangeError(`${name} must be a finite number >= ${min}, got ${value}`);
  }
}

function readyzUrl(input: string): { href: string; port: number } | undefined {
  let u: URL;
  try {
    u = new URL(input);
  } catch {
    return undefined;
  }
  if ((u.protocol !== "http:" && u.protocol !== "https:") || !u.hostname) return undefined;
  // Accept ".../", ".../readyz" and ".../readyz/" alike; a base path (behind a proxy) is kept.
  const base = u.pathname.replace(/\/+$/, "");
  u.pathname = base.endsWith("/readyz") ? base : `${base}/readyz`;
  u.search = "";
  u.hash = "";
  const port = u.port ? Number(u.port) : u.protocol === "https:" ? 443 : 80;
  return { href: u.href, port };
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON (a proxy page, another service): keep a bounded excerpt for the diagnostics.
    return text.length > MAX_BODY_CHARS ? `${text.slice(0, MAX_BODY_CHARS)}…` : text;
  }
}

/** fetch hides the socket error in `cause` (sometimes an AggregateError from trying IPv4 and IPv6). */
function describeFetchError(err: unknown): string {
  const cause = err instanceof Error && err.cause !== undefined ? err.cause : err;
  const code = errorCode(cause);
  let message = cause instanceof Error ? cause.message : String(cause);
  if (!message && cause instanceof AggregateError) {
    message = cause.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e))).join("; ");
  }
  if (code && !message.includes(code)) return message ? `${code}: ${message}` : code;
  return message || (err instanceof Error ? err.message : String(err));
}

function errorCode(e: unknown): string | undefined {
  if (typeof e === "object" && e !== null && "code" in e && typeof e.code === "string") return e.code;
  return undefined;
}

/** True while pid exists and is not a zombie (an exited child its parent has not reaped yet). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return errorCode(err) !== "ESRCH";
  }
  if (process.platform === "linux") {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // The state letter follows the last ")" because the command name may itself contain parentheses.
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (state === "Z" || state === "X") return false;
    } catch {
      // /proc unavailable or the process vanished in between: kill(0) already said it existed.
    }
  }
  return true;
}

export function formatWaitReadyFailure(result: WaitReadyFailure): string {
  const row = (label: string, value: string) => `  ${`${label}:`.padEnd(12)} ${value}`;
  const lines = [`wait-ready failed: ${describeReason(result)}`, row("url", result.url)];
  if (result.port !== undefined) lines.push(row("port", String(result.port)));
  if (result.pid !== undefined) {
    const alive = result.reason !== "process_exited" && isProcessAlive(result.pid);
    lines.push(row("pid", `${result.pid} (${alive ? "alive" : "exited"})`));
  }
  lines.push(row("attempts", String(result.attempts)));
  lines.push(row("elapsed", `${result.elapsedMs} ms`));
  if (result.lastError !== undefined) lines.push(row("last error", result.lastError));
  if (result.lastStatus !== undefined) {
    lines.push(row("last status", `HTTP ${result.lastStatus}`));
    lines.push(...formatBody(result.lastBody, row));
  }
  const hint = hintFor(result);
  if (hint) lines.push(row("hint", hint));
  return lines.join("\n");
}

function describeReason(r: WaitReadyFailure): string {
  switch (r.reason) {
    case "timeout":
      return `not ready after ${r.elapsedMs} ms (timeout)`;
    case "process_exited":
      return `process ${r.pid} exited (process_exited)`;
    case "aborted":
      return "cancelled (aborted)";
    case "invalid_url":
      return `invalid URL ${JSON.stringify(r.url)} (invalid_url)`;
  }
}

/** readyz lists `{status, components:{name:{status, latencyMs?, error?}}}`; show each component's state. */
function formatBody(body: unknown, row: (label: string, value: string) => string): string[] {
  if (isRecord(body) && isRecord(body.components)) {
    const out = [row("readyz", String(body.status))];
    for (const [name, c] of Object.entries(body.components)) {
      if (!isRecord(c)) {
        out.push(row(`  ${name}`, JSON.stringify(c)));
        continue;
      }
      let line = String(c.status);
      if (typeof c.latencyMs === "number") line += ` (${c.latencyMs} ms)`;
      if (c.error !== undefined) {
        line += ` - ${typeof c.error === "string" ? c.error : JSON.stringify(c.error)}`;
      }
      out.push(row(`  ${name}`, line));
    }
    return out;
  }
  if (body === undefined || body === "") return [row("last body", "(empty)")];
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const oneLine = text.replace(/\s+/g, " ").trim();
  return [row("last body", oneLine.length > 500 ? `${oneLine.slice(0, 500)}…` : oneLine)];
}

function hintFor(r: WaitReadyFailure): string | undefined {
  switch (r.reason) {
    case "invalid_url":
      return "--url must be an http:// or https:// URL, e.g. http://127.0.0.1:7800";
    case "process_exited":
      return `process ${r.pid} exited before the server became ready; check its output or logs`;
    case "aborted":
      return undefined;
  }
  const err = r.lastError ?? "";
  if (err.includes("ECONNREFUSED")) {
    return `nothing is listening on port ${r.port}; is the server started, on this host and port?`;
  }
  if (/ENOTFOUND|EAI_AGAIN/.test(err)) return "the host name does not resolve";
  if (/ECONNRESET|UND_ERR_SOCKET|other side closed/.test(err)) {
    return `something on port ${r.port} closes connections; is it an HTTP server (and http vs https right)?`;
  }
  if (err.startsWith("no response")) {
    return `port ${r.port} accepts connections but /readyz does not answer; the server may be stuck or still starting (a longer --timeout may help)`;
  }
  if (r.lastStatus === 503) return "the server is up but not ready; see the components above";
  if (r.lastStatus === 404) {
    return `port ${r.port} answers but has no /readyz; wrong URL, or not an agentboard server?`;
  }
  if (r.lastStatus !== undefined) return `/readyz answered HTTP ${r.lastStatus} instead of 200`;
  if (r.attempts === 0) return "the deadline passed before the first attempt; use a longer --timeout";
  return undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
