import type { Approval } from "@agentboard/protocol";

export interface WaitRequest {
  approvalId: string;
  /** The last known state: what the wait answers with if the deadline passes with nothing newer. */
  latest: Approval;
  /** Epoch milliseconds: the wait ends here at the latest. */
  deadline: number;
  signal?: AbortSignal;
}

/**
 * One way of learning that an approval was decided. Strategies are tried in order: the realtime WebSocket
 * (event-driven; it re-reads the approval after every (re)connect so nothing decided in a gap is missed)
 * goes first, then the long-poll endpoint, which works through any HTTP proxy.
 */
export interface ApprovalWaitStrategy {
  readonly name: string;
  /**
   * Resolves with the approval as soon as it is no longer pending, or with the latest pending state at the
   * deadline; rejects with the signal's reason on abort. Throws WaitStrategyUnavailableError to hand the
   * rest of the wait to the next strategy.
   */
  wait(request: WaitRequest): Promise<Approval>;
}

/** "This transport cannot serve the wait": the next strategy continues from `latest`. */
export class WaitStrategyUnavailableError extends Error {
  constructor(
    message: string,
    readonly latest?: Approval,
  ) {
    super(message);
    this.name = "WaitStrategyUnavailableError";
  }
}

export async function waitWithStrategies(
  strategies: readonly ApprovalWaitStrategy[],
  request: WaitRequest,
): Promise<Approval> {
  let current = request;
  let lastError: unknown;
  for (const strategy of strategies) {
    try {
      return await strategy.wait(current);
    } catch (error) {
      if (!(error instanceof WaitStrategyUnavailableError)) throw error;
      lastError = error;
      if (error.latest) current = { ...current, latest: error.latest };
    }
  }
  throw new Error("no approval wait strategy could serve this wait", { cause: lastError });
}
