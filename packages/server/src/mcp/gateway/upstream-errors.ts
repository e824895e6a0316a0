import { ProtocolError } from "@modelcontextprotocol/client";
import { BrokenCircuitError } from "cockatiel";

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

/** One line, bounded: errors end up in /readyz, the Health page and logs. */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

export function isTimeout(error: unknown): boolean {
  return error instanceof Error && /timed? ?out|timeout/i.test(`${error.name} ${error.message}`);
}

/**
 * What a failed call was, for the caller and for metrics: refused before it was sent (breaker open), answered
 * with a protocol error, timed out, or failed otherwise. `sent` says whether the request may have left.
 */
export function classifyCallError(
  error: unknown,
  sent: boolean,
  upstream: { server: string; lastError?: string; callTimeoutMs: number },
): UpstreamCallError {
  if (error instanceof UpstreamCallError) return error;
  if (error instanceof BrokenCircuitError) {
    return new UpstreamCallError(
      "breaker_open",
      `MCP server "${upstream.server}" is failing; its circuit breaker is open (last error: ${upstream.lastError ?? "none"})`,
      false,
    );
  }
  if (error instanceof ProtocolError) {
    return new UpstreamCallError(
      "error",
      `MCP server "${upstream.server}" answered: ${oneLine(error)}`,
      true,
    );
  }
  if (isTimeout(error)) {
    return new UpstreamCallError(
      "timeout",
      `MCP server "${upstream.server}" did not answer within ${upstream.callTimeoutMs} ms`,
      true,
    );
  }
  return new UpstreamCallError("error", `MCP server "${upstream.server}" failed: ${oneLine(error)}`, sent);
}

/** Rejects with a timeout error if `promise` has not settled within `ms`. */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
