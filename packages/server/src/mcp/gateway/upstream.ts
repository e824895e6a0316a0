import type { Readable } from "node:stream";
import type { McpBreakerState, McpServerStatus, McpServerStatusValue } from "@agentboard/protocol";
import {
  type CallToolResult,
  Client,
  ProtocolError,
  StreamableHTTPClientTransport,
  type Tool,
  type Transport,
} from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleWhen,
} from "cockatiel";
import type { McpServerConfig, McpServerEntry } from "../../config/mcp-servers.js";
import { substituteVariables } from "../../config/mcp-servers.js";
import { guardedFetch } from "../../net/ssrf-guard.js";
import { matchesAny } from "./tool-patterns.js";

export interface UpstreamTimings {
  /** Default connect timeout (start + initialize + tools/list) when the entry sets none. */
  connectTimeoutMs: number;
  /** Default per-call timeout when the entry sets none. */
  callTimeoutMs: number;
  /** First reconnect delay; doubles per failed attempt up to `reconnectMaxMs`, with jitter. */
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  /** Ping interval of a connected server (latency, and finding HTTP servers that went away). */
  pingIntervalMs: number;
  /** Consecutive failures (connects, timeouts, lost connections) that open the breaker. */
  breakerThreshold: number;
  /** How long an open breaker refuses before it lets one attempt through (half-open). */
  breakerHalfOpenMs: number;
}

export const DEFAULT_TIMINGS: UpstreamTimings = {
  connectTimeoutMs: 10_000,
  callTimeoutMs: 60_000,
  reconnectBaseMs: 500,
  reconnectMaxMs: 30_000,
  pingIntervalMs: 30_000,
  breakerThreshold: 3,
  breakerHalfOpenMs: 15_000,
};

/** What the gateway learns about each call (metrics). */
export interface UpstreamObserver {
  onCall?(server: string, outcome: CallOutcome, durationMs: number): void;
  onChange?(server: string): void;
}

export type CallOutcome = "ok" | "tool_error" | "timeout" | "unavailable" | "breaker_open" | "error";

/** A call that did not reach the upstream's tool, or did not come back from it. */
export class UpstreamCallError extends Error {
  constructor(
    readonly outcome: Exclude<CallOutcome, "ok" | "tool_error">,
    message: string,
    /** True when the request may have reached the server (it may have run): never retry such a call. */
    readonly mayHaveRun: boolean,
  ) {
    super(message);
    this.name = "UpstreamCallError";
  }
}

const BREAKER_STATES: Record<CircuitState, McpBreakerState> = {
  [CircuitState.Closed]: "closed",
  [CircuitState.Open]: "open",
  [CircuitState.HalfOpen]: "half-open",
  [CircuitState.Isolated]: "isolated",
};

const STDERR_TAIL_CHARS = 400;
const CLIENT_INFO = { name: "agentboard-gateway", version: "0.1.0" };

/** One line, bounded: errors end up in /readyz, the Health page and logs. */
function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && /timed? ?out|timeout/i.test(`${error.name} ${error.message}`);
}

/**
 * One upstream MCP server: its connection (stdio child or Streamable HTTP), its tools, its breaker. It
 * connects in the background, reconnects with exponential backoff and jitter whenever the connection is
 * lost, and answers calls only while connected. Each server has its own timeouts and breaker, so a hung
 * or broken one costs the others nothing.
 */
export class Upstream {
  readonly name: string;
  readonly config?: McpServerConfig;
  private status: McpServerStatusValue;
  private client?: Client;
  private transport?: Transport;
  private toolList: Tool[] = [];
  private latencyMs?: number;
  private lastError?: string;
  private lastErrorAt?: string;
  private connectedAt?: string;
  private pid?: number;
  private stderrTail = "";
  private attempt = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private pingTimer?: NodeJS.Timeout;
  private closed = false;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly timings: UpstreamTimings;
  /** Resolves once the first connect attempt has settled (connected or failed); for start-up waits. */
  readonly firstAttempt: Promise<void>;
  private settleFirst!: () => void;

  constructor(
    entry: McpServerEntry,
    private readonly options: {
      timings: UpstreamTimings;
      /** Where `${VAR}` in env and headers is read. */
      env: Record<string, string | undefined>;
      observer: UpstreamObserver;
      log: { warn(details: object, message: string): void; info(details: object, message: string): void };
    },
  ) {
    this.name = entry.name;
    this.config = entry.config;
    this.timings = {
      ...options.timings,
      ...(entry.config?.connectTimeoutMs ? { connectTimeoutMs: entry.config.connectTimeoutMs } : {}),
      ...(entry.config?.callTimeoutMs ? { callTimeoutMs: entry.config.callTimeoutMs } : {}),
    };
    this.firstAttempt = new Promise((resolve) => {
      this.settleFirst = resolve;
    });
    // Only failures that say the server is unwell count: a JSON-RPC error answer (bad arguments, unknown
    // tool) comes from a healthy server.
    this.breaker = circuitBreaker(
      handleWhen((error) => !(error instanceof ProtocolError)),
      {
        halfOpenAfter: this.timings.breakerHalfOpenMs,
        breaker: new ConsecutiveBreaker(this.timings.breakerThreshold),
      },
    );
    this.breaker.onStateChange(() => this.changed());
    if (entry.problem) {
      this.status = "invalid";
      this.lastError = `mcpServers.${entry.name} ${entry.problem}`;
      this.settleFirst();
    } else if (entry.config?.disabled) {
      this.status = "disabled";
      this.settleFirst();
    } else this.status = "connecting";
  }

  get transportKind(): "stdio" | "http" | undefined {
    if (!this.config) return undefined;
    return "command" in this.config ? "stdio" : "http";
  }

  /** Starts connecting in the background; never throws. */
  start(): void {
    if (this.status !== "connecting" || this.closed) return;
    void this.connect();
  }

  /** Tools after `allow` / `deny`, with their upstream names; empty unless connected. */
  tools(): readonly Tool[] {
    return this.status === "connected" ? this.toolList : [];
  }

  snapshot(): McpServerStatus {
    return {
      name: this.name,
      status: this.status,
      ...(this.transportKind ? { transport: this.transportKind } : {}),
      tools: this.tools().length,
      ...(this.latencyMs !== undefined ? { latencyMs: this.latencyMs } : {}),
      ...(this.lastError !== undefined ? { error: this.lastError } : {}),
      ...(this.lastErrorAt !== undefined ? { lastErrorAt: this.lastErrorAt } : {}),
      breaker: BREAKER_STATES[this.breaker.state],
      ...(this.pid !== undefined && this.status === "connected" ? { pid: this.pid } : {}),
      ...(this.connectedAt !== undefined && this.status === "connected"
        ? { connectedAt: this.connectedAt }
        : {}),
    };
  }

  get breakerState(): McpBreakerState {
    return BREAKER_STATES[this.breaker.state];
  }

  /**
   * Calls one tool (its upstream name). Resolves with the server's result, also when that result is an
   * `isError` one; rejects with UpstreamCallError when the call did not reach the tool or did not return.
   */
  async call(tool: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<CallToolResult> {
    const started = performance.now();
    const client = this.client;
    if (this.status !== "connected" || !client) {
      const error = new UpstreamCallError(
        "unavailable",
        `MCP server "${this.name}" is ${this.status}${this.lastError ? ` (${this.lastError})` : ""}`,
        false,
      );
      this.options.observer.onCall?.(this.name, error.outcome, performance.now() - started);
      throw error;
    }
    let sent = false;
    try {
      const result = (await this.breaker.execute(({ signal: callSignal }) => {
        sent = true;
        return client.callTool(
          { name: tool, arguments: args },
          { timeout: this.timings.callTimeoutMs, signal: callSignal },
        );
      }, signal)) as CallToolResult;
      this.options.observer.onCall?.(
        this.name,
        result.isError ? "tool_error" : "ok",
        performance.now() - started,
      );
      return result;
    } catch (error) {
      const failure = this.classify(error, sent);
      this.options.observer.onCall?.(this.name, failure.outcome, performance.now() - started);
      if (failure.outcome !== "breaker_open" && !(error instanceof ProtocolError))
        this.noteError(failure.message);
      throw failure;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    const client = this.client;
    this.client = undefined;
    this.transport = undefined;
    await client?.close().catch(() => {});
    this.settleFirst();
  }

  private classify(error: unknown, sent: boolean): UpstreamCallError {
    if (error instanceof UpstreamCallError) return error;
    if (error instanceof BrokenCircuitError) {
      return new UpstreamCallError(
        "breaker_open",
        `MCP server "${this.name}" is failing; its circuit breaker is open (last error: ${this.lastError ?? "none"})`,
        false,
      );
    }
    if (error instanceof ProtocolError) {
      return new UpstreamCallError("error", `MCP server "${this.name}" answered: ${oneLine(error)}`, true);
    }
    if (isTimeout(error)) {
      return new UpstreamCallError(
        "timeout",
        `MCP server "${this.name}" did not answer within ${this.timings.callTimeoutMs} ms`,
        true,
      );
    }
    return new UpstreamCallError("error", `MCP server "${this.name}" failed: ${oneLine(error)}`, sent);
  }

  private changed(): void {
    this.options.observer.onChange?.(this.name);
  }

  private noteError(message: string): void {
    this.lastError = message;
    this.lastErrorAt = new Date().toISOString();
    this.changed();
  }

  private buildTransport(config: McpServerConfig): Transport {
    if ("command" in config) {
      const { values: env, missing } = substituteVariables(config.env, this.options.env);
      if (missing.length > 0) throw new Error(`env refers to unset variable(s) ${missing.join(", ")}`);
      // Only the declared env plus the SDK's safe defaults (PATH, HOME, …): never agentboard's own
      // environment, which holds database URLs, metrics keys and tokens.
      const transport = new StdioClientTransport({
        command: config.command,
        args: config.args ?? [],
        env,
        ...(config.cwd ? { cwd: config.cwd } : {}),
        stderr: "pipe",
      });
      // Keep the end of stderr: when a server dies at start, that is where it says why.
      (transport.stderr as Readable | null)?.on("data", (chunk: Buffer) => {
        this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL_CHARS);
      });
      return transport;
    }
    const { values: headers, missing } = substituteVariables(config.headers, this.options.env);
    if (missing.length > 0) throw new Error(`headers refer to unset variable(s) ${missing.join(", ")}`);
    return new StreamableHTTPClientTransport(new URL(config.url), {
      requestInit: { headers },
      fetch: guardedFetch({ allowPrivateNetwork: config.allowPrivateNetwork === true }),
    });
  }

  private async connect(): Promise<void> {
    const config = this.config;
    if (!config || this.closed) return;
    this.setStatus("connecting");
    this.stderrTail = "";
    const started = performance.now();
    let client: Client | undefined;
    try {
      await this.breaker.execute(async () => {
        client = new Client(CLIENT_INFO, {
          listChanged: {
            tools: {
              onChanged: (error, tools) => {
                if (client !== this.client) return;
                if (error) this.noteError(`tools/list after list_changed failed: ${oneLine(error)}`);
                else if (tools) {
                  this.toolList = this.filter(tools);
                  this.changed();
                }
              },
            },
          },
        });
        const transport = this.buildTransport(config);
        this.transport = transport;
        const deadline = Date.now() + this.timings.connectTimeoutMs;
        const timeout = () => Math.max(1, deadline - Date.now());
        // A child that never answers must not hold the connect forever: both requests share one deadline,
        // and the spawn itself is raced against it too.
        await withDeadline(client.connect(transport, { timeout: timeout() }), timeout(), "connect");
        // listTools() walks every page (nextCursor) until the list is complete.
        const listed = await client.listTools(undefined, { timeout: timeout() });
        this.toolList = this.filter(listed.tools);
      });
    } catch (error) {
      await client?.close().catch(() => {});
      if (this.closed) return;
      const stderr = this.stderrTail.trim().split("\n").at(-1)?.trim();
      const message =
        error instanceof BrokenCircuitError
          ? ""
          : `connect failed: ${isTimeout(error) ? `no answer within ${this.timings.connectTimeoutMs} ms` : oneLine(error)}${stderr ? ` (stderr: ${stderr})` : ""}`;
      if (!(error instanceof BrokenCircuitError)) this.noteError(message);
      this.setStatus("down");
      this.settleFirst();
      this.scheduleReconnect();
      return;
    }
    if (this.closed || !client) {
      await client?.close().catch(() => {});
      return;
    }
    const connected = client;
    this.client = connected;
    this.attempt = 0;
    this.latencyMs = Math.round((performance.now() - started) * 100) / 100;
    this.connectedAt = new Date().toISOString();
    this.pid = this.transport instanceof StdioClientTransport ? (this.transport.pid ?? undefined) : undefined;
    connected.onclose = () => this.lost(connected, "connection closed");
    this.setStatus("connected");
    this.settleFirst();
    this.options.log.info({ server: this.name, tools: this.toolList.length }, "MCP server connected");
    this.startPing(connected);
  }

  private filter(tools: readonly Tool[]): Tool[] {
    const { allow, deny } = this.config ?? {};
    return tools.filter(
      (tool) => (allow === undefined || matchesAny(tool.name, allow)) && !matchesAny(tool.name, deny ?? []),
    );
  }

  private startPing(client: Client): void {
    clearInterval(this.pingTimer);
    this.pingTimer = setInterval(async () => {
      if (client !== this.client) return;
      const started = performance.now();
      try {
        await client.ping({ timeout: Math.min(this.timings.callTimeoutMs, 10_000) });
        this.latencyMs = Math.round((performance.now() - started) * 100) / 100;
        this.changed();
      } catch (error) {
        this.lost(client, `ping failed: ${oneLine(error)}`);
      }
    }, this.timings.pingIntervalMs);
    this.pingTimer.unref();
  }

  /** The connection went away (child exited, HTTP server gone): reconnect with backoff. */
  private lost(client: Client, reason: string): void {
    if (client !== this.client || this.closed) return;
    this.client = undefined;
    clearInterval(this.pingTimer);
    this.noteError(reason);
    this.options.log.warn({ server: this.name, reason }, "MCP server connection lost; reconnecting");
    void client.close().catch(() => {});
    this.setStatus("down");
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    clearTimeout(this.reconnectTimer);
    const ceiling = Math.min(this.timings.reconnectMaxMs, this.timings.reconnectBaseMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    // "Equal jitter": at least half the step, so a fleet of nodes does not retry in lockstep, and never 0.
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
    this.reconnectTimer.unref();
  }

  private setStatus(status: McpServerStatusValue): void {
    if (this.status === status) return;
    this.status = status;
    this.changed();
  }
}

/** Rejects with a timeout error if `promise` has not settled within `ms`. */
function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
