import type { McpGatewayTool, McpServerStatus } from "@agentboard/protocol";
import type { CallToolResult, Tool } from "@modelcontextprotocol/client";
import type { Principal } from "../../auth/principal.js";
import { hasRole } from "../../auth/principal.js";
import type { McpServerEntry } from "../../config/mcp-servers.js";
import { forbidden, notFound } from "../../errors/agentboard-errors.js";
import { DEFAULT_TOKEN_BUDGET, truncateToTokenBudget } from "../../tokens/index.js";
import type { McpToolProvider } from "../server/tool-provider.js";
import type { GateOutcome, ToolCallGate } from "./tool-call-gate.js";
import { matchesAny } from "./tool-patterns.js";
import {
  DEFAULT_TIMINGS,
  Upstream,
  UpstreamCallError,
  type UpstreamObserver,
  type UpstreamTimings,
} from "./upstream.js";

/** `<server>__<tool>`: server names never contain `__`, so the first `__` splits. */
export const TOOL_SEPARATOR = "__";

export interface CallOptions {
  /** The client's idempotency key for this call (see ToolCallGate). */
  idempotencyKey?: string;
  /** Gated calls: answer pending after this long (REST); undefined waits until the signal aborts (MCP). */
  waitMs?: number;
}

/**
 * Whether calling `tool` needs a human first. MCP's defaults: a tool is read-only only if it says so
 * (`readOnlyHint: true`), and a tool that is not read-only is destructive unless it says otherwise
 * (`destructiveHint: false`, an additive tool). So a tool without annotations is gated. `requireApproval`
 * adds tools by name whatever their annotations.
 */
export function requiresApproval(tool: Tool, requireApproval: readonly string[] = []): boolean {
  if (matchesAny(tool.name, requireApproval)) return true;
  const hints = tool.annotations;
  if (hints?.readOnlyHint === true) return false;
  return hints?.destructiveHint !== false;
}

function errorResult(text: string): CallToolResult {
  return { isError: true, content: [{ type: "text", text }] };
}

/**
 * The gateway to the configured upstream MCP servers: connects them all in parallel (in the background:
 * the node is ready without them), offers their tools as `<server>__<tool>`, and runs calls — read-only
 * ones directly, the others through the human gate. Each node keeps its own connections; the gate's
 * state is in the shared store.
 */
export class McpGateway implements McpToolProvider {
  private readonly upstreams = new Map<string, Upstream>();
  private readonly listeners = new Set<(server: string) => void>();
  private readonly toolListeners = new Set<() => void>();
  /** Per server, what its offered tools looked like at the last change (names and descriptions). */
  private readonly toolKeys = new Map<string, string>();

  constructor(
    entries: readonly McpServerEntry[],
    private readonly deps: {
      gate: ToolCallGate;
      env?: Record<string, string | undefined>;
      timings?: Partial<UpstreamTimings>;
      observer?: UpstreamObserver;
      log: { warn(details: object, message: string): void; info(details: object, message: string): void };
    },
  ) {
    const observer: UpstreamObserver = {
      onCall: (server, outcome, ms) => deps.observer?.onCall?.(server, outcome, ms),
      onChange: (server) => {
        deps.observer?.onChange?.(server);
        for (const listener of this.listeners) listener(server);
        this.checkTools(server);
      },
    };
    for (const entry of entries) {
      this.upstreams.set(
        entry.name,
        new Upstream(entry, {
          timings: { ...DEFAULT_TIMINGS, ...deps.timings },
          env: deps.env ?? process.env,
          observer,
          log: deps.log,
        }),
      );
    }
  }

  /** Starts every connection at once and returns immediately. */
  start(): void {
    for (const upstream of this.upstreams.values()) upstream.start();
  }

  /** Resolves when every server has finished its first connect attempt (connected or failed). */
  async settled(): Promise<void> {
    await Promise.all([...this.upstreams.values()].map((upstream) => upstream.firstAttempt));
  }

  get size(): number {
    return this.upstreams.size;
  }

  /** A server changed (status, tools, breaker, latency); returns the unsubscribe function. */
  onChange(listener: (server: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The offered tools changed (a server connected or went away, or changed its list); see McpToolProvider. */
  onToolsChanged(listener: () => void): () => void {
    this.toolListeners.add(listener);
    return () => this.toolListeners.delete(listener);
  }

  /** Most changes are status, latency or breaker only: tell tool listeners only when the list differs. */
  private checkTools(server: string): void {
    const tools = this.upstreams.get(server)?.tools() ?? [];
    const key = JSON.stringify(tools.map((tool) => [tool.name, tool.description, tool.annotations]));
    if ((this.toolKeys.get(server) ?? "[]") === key) return;
    this.toolKeys.set(server, key);
    for (const listener of this.toolListeners) listener();
  }

  servers(): McpServerStatus[] {
    return [...this.upstreams.values()].map((upstream) => upstream.snapshot());
  }

  /** Every offered tool with its gateway name, from the servers connected now. */
  tools(): McpGatewayTool[] {
    const out: McpGatewayTool[] = [];
    for (const upstream of this.upstreams.values()) {
      for (const tool of upstream.tools()) {
        out.push({
          name: `${upstream.name}${TOOL_SEPARATOR}${tool.name}`,
          server: upstream.name,
          ...(tool.title !== undefined ? { title: tool.title } : {}),
          ...(tool.description !== undefined ? { description: tool.description } : {}),
          inputSchema: tool.inputSchema as Record<string, unknown>,
          ...(tool.outputSchema !== undefined
            ? { outputSchema: tool.outputSchema as Record<string, unknown> }
            : {}),
          ...(tool.annotations !== undefined
            ? { annotations: tool.annotations as Record<string, unknown> }
            : {}),
          requiresApproval: requiresApproval(tool, upstream.config?.requireApproval),
        });
      }
    }
    return out;
  }

  // McpToolProvider (the /mcp endpoint) ------------------------------------------------------------------

  async list(_principal: Principal): Promise<Tool[]> {
    const out: Tool[] = [];
    for (const upstream of this.upstreams.values()) {
      for (const tool of upstream.tools()) {
        const gated = requiresApproval(tool, upstream.config?.requireApproval);
        out.push({
          ...tool,
          name: `${upstream.name}${TOOL_SEPARATOR}${tool.name}`,
          // Tell the model up front that this call waits for a person.
          ...(gated
            ? {
                description: `${tool.description ?? ""}${tool.description ? "\n\n" : ""}(agentboard: each call waits for a human approval.)`,
              }
            : {}),
        });
      }
    }
    return out;
  }

  async call(
    principal: Principal,
    name: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
    options: CallOptions = {},
  ): Promise<CallToolResult> {
    const outcome = await this.callTool(principal, name, args, { ...options, signal });
    // The MCP endpoint has no "pending" answer: without waitMs the gate waits until decided or aborted.
    return outcome.pending ? errorResult(`Waiting for approval ${outcome.approval.id}`) : outcome.result;
  }

  /**
   * Runs `<server>__<tool>` for `principal`. Throws not_found for a name that is not offered (unknown
   * server or tool, denied, or its server is not connected); every failure of the call itself is an
   * `isError` result.
   */
  async callTool(
    principal: Principal,
    name: string,
    args: Record<string, unknown>,
    options: CallOptions & { signal?: AbortSignal } = {},
  ): Promise<GateOutcome | { pending: false; result: CallToolResult; approval?: undefined }> {
    if (principal.kind === "user" && !hasRole(principal, "member")) {
      throw forbidden("viewers cannot call MCP tools");
    }
    const split = name.indexOf(TOOL_SEPARATOR);
    const upstream = split > 0 ? this.upstreams.get(name.slice(0, split)) : undefined;
    const toolName = split > 0 ? name.slice(split + TOOL_SEPARATOR.length) : "";
    if (!upstream) throw notFound(`no MCP tool "${name}": no such server`);
    const tool = upstream.tools().find((candidate) => candidate.name === toolName);
    if (!tool) {
      const why =
        upstream.snapshot().status === "connected"
          ? "no such tool (or it is not allowed)"
          : `server "${upstream.name}" is ${upstream.snapshot().status}`;
      throw notFound(`no MCP tool "${name}": ${why}`);
    }
    const budget = upstream.config?.tokenBudget ?? DEFAULT_TOKEN_BUDGET;
    const execute = async () => truncateToTokenBudget(await upstream.call(toolName, args), budget);

    if (!requiresApproval(tool, upstream.config?.requireApproval)) {
      try {
        const result = await truncateToTokenBudget(
          await upstream.call(toolName, args, options.signal),
          budget,
        );
        return { pending: false, result };
      } catch (error) {
        if (error instanceof UpstreamCallError) return { pending: false, result: errorResult(error.message) };
        throw error;
      }
    }
    return this.deps.gate.run({
      principal,
      tool: name,
      server: upstream.name,
      args,
      idempotencyKey: options.idempotencyKey,
      waitMs: options.waitMs,
      signal: options.signal,
      callTimeoutMs:
        upstream.config?.callTimeoutMs ?? this.deps.timings?.callTimeoutMs ?? DEFAULT_TIMINGS.callTimeoutMs,
      execute,
    });
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.toolListeners.clear();
    await Promise.allSettled([...this.upstreams.values()].map((upstream) => upstream.close()));
  }
}
