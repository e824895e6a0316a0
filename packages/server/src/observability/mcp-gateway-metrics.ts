import type { McpBreakerState, McpServerStatus } from "@agentboard/protocol";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export const MCP_CALLS_METRIC = "agentboard_mcp_upstream_calls_total";
export const MCP_CALL_DURATION_METRIC = "agentboard_mcp_upstream_call_duration_seconds";
export const MCP_BREAKER_METRIC = "agentboard_mcp_upstream_breaker_state";
export const MCP_UP_METRIC = "agentboard_mcp_upstream_up";

const BREAKER_VALUE: Record<McpBreakerState, number> = { closed: 0, "half-open": 1, open: 2, isolated: 3 };

/** Calls that did not end `ok`: the ones that count as errors in dashboards and alerts. */
const OUTCOMES = ["ok", "tool_error", "timeout", "unavailable", "breaker_open", "error"] as const;

/**
 * Per upstream MCP server: calls by outcome, call duration, breaker state and whether it is connected.
 * Labels are bounded: `server` only takes names from the config file (the label set is fixed at start, an
 * unknown name is dropped), `outcome` is a fixed list.
 */
export class McpGatewayMetrics {
  private readonly calls: Counter<"server" | "outcome">;
  private readonly duration: Histogram<"server">;
  private readonly known: ReadonlySet<string>;

  constructor(
    private readonly registry: Registry,
    servers: readonly string[],
    snapshot: () => McpServerStatus[],
  ) {
    this.known = new Set(servers);
    this.calls = new Counter({
      name: MCP_CALLS_METRIC,
      help: "Tool calls sent to an upstream MCP server, by server and outcome (ok, tool_error, timeout, unavailable, breaker_open, error).",
      labelNames: ["server", "outcome"] as const,
      registers: [registry],
    });
    this.duration = new Histogram({
      name: MCP_CALL_DURATION_METRIC,
      help: "Duration of tool calls to an upstream MCP server, in seconds.",
      labelNames: ["server"] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
    // Gauges are read from the gateway at scrape time, so they can never drift from what /api/mcp shows;
    // the registry holds them (close() removes them by name).
    const serverGauge = (name: string, help: string, read: (status: McpServerStatus) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ["server"] as const,
        registers: [registry],
        collect() {
          for (const status of snapshot()) this.set({ server: status.name }, read(status));
        },
      });
    serverGauge(
      MCP_BREAKER_METRIC,
      "Circuit breaker of an upstream MCP server: 0 closed, 1 half-open, 2 open, 3 isolated.",
      (status) => BREAKER_VALUE[status.breaker],
    );
    serverGauge(
      MCP_UP_METRIC,
      "1 while the gateway is connected to the upstream MCP server, else 0.",
      (status) => (status.status === "connected" ? 1 : 0),
    );
    // Every known series exists from the start (a counter that appears on first error breaks rate()).
    for (const server of servers) for (const outcome of OUTCOMES) this.calls.inc({ server, outcome }, 0);
  }

  observeCall(server: string, outcome: (typeof OUTCOMES)[number], durationMs: number): void {
    if (!this.known.has(server)) return;
    this.calls.inc({ server, outcome });
    this.duration.observe({ server }, durationMs / 1000);
  }

  /** Removes this gateway's metrics from the registry (app close). */
  close(): void {
    for (const name of [MCP_CALLS_METRIC, MCP_CALL_DURATION_METRIC, MCP_BREAKER_METRIC, MCP_UP_METRIC]) {
      this.registry.removeSingleMetric(name);
    }
  }
}
