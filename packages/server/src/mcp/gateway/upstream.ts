import type { McpBreakerState, McpServerStatus, McpServerStatusValue } from "@agentboard/protocol";
import {
  type CallToolResult,
  Client,
  ProtocolError,
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
import { matchesAny } from "./tool-patterns.js";
import {
  type CallOutcome,
  classifyCallError,
  isTimeout,
  oneLine,
  UpstreamCallError,
  withDeadline,
} from "./upstream-errors.js";
import { buildUpstreamTransport } from "./upstream-transport.js";

// The failure types are part of this module's surface: the gateway and the gate import them from here.
export { type CallOutcome, UpstreamCallError } from "./upstream-errors.js";

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

const BREAKER_STATES: Record<CircuitState, McpBreakerState> = {
  [CircuitState.Closed]: "closed",
  [CircuitState.Open]: "open",
  [CircuitState.HalfOpen]: "half-open",
  [CircuitState.Isolated]: "isolated",
};

/** How much of a stdio server's stderr is kept: when a server dies at start, its end says why. */
const STDERR_TAIL_CHARS = 400;
const CLIENT_INFO = { name: "agentboard-gateway", version: "0.1.0" };

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
      const failure = classifyCallError(error, sent, {
        server: this.name,
        lastError: this.lastError,
        callTimeoutMs: this.timings.callTimeoutMs,
      });
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

  private changed(): void {
    this.options.observer.onChange?.(this.name);
  }

  private noteError(message: string): void {
    this.lastError = message;
    this.lastErrorAt = new Date().toISOString();
    this.changed();
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
        const transport = buildUpstreamTransport(config, this.options.env, (chunk) => {
          this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
        });
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
