import { endWhen, jsonRpcError } from "./mcp-answers.js";
import type { McpSessionDirectory } from "./session-directory.js";
import { FORWARDED_HEADER, forwardToNode } from "./session-forwarding.js";

/** Cluster mode: the shared session records, and this node's URL as the other nodes call it. */
export interface SessionCluster {
  directory: McpSessionDirectory;
  nodeUrl: () => string;
}

/**
 * Cluster mode: a node's 2025-era MCP sessions in the shared directory, and the requests for sessions other
 * nodes hold, forwarded to them (session-forwarding.ts). Directory failures are reported, never thrown: a
 * session works through its own node without its record.
 */
export class SessionRecords {
  constructor(
    private readonly cluster: SessionCluster,
    /** How long a record lives without being written again: the session's idle limit. */
    private readonly ttlMs: number,
    /** Aborted when this node shuts down. */
    private readonly closing: AbortSignal,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Records (or renews) that this node holds `sessionId`, opened by the principal `principal` (principalKey). */
  async record(sessionId: string, principal: string): Promise<void> {
    await this.cluster.directory
      .register(sessionId, { node: this.cluster.nodeUrl(), principal }, this.ttlMs)
      .catch((error: unknown) => this.report(error));
  }

  async remove(sessionId: string): Promise<void> {
    await this.cluster.directory.remove(sessionId).catch((error: unknown) => this.report(error));
  }

  /**
   * Cluster mode: the answer of the node holding `sessionId` when that is another node and the session is
   * the caller's (`callerKey`, principalKey); undefined when there is nothing to forward to (then the session is
   * not found).
   */
  async forward(
    request: Request,
    parsedBody: unknown,
    sessionId: string,
    callerKey: string,
  ): Promise<Response | undefined> {
    const cluster = this.cluster;
    if (request.headers.has(FORWARDED_HEADER)) return undefined;
    let owner: Awaited<ReturnType<McpSessionDirectory["lookup"]>>;
    try {
      owner = await cluster.directory.lookup(sessionId);
    } catch (error) {
      this.report(error);
      return jsonRpcError(503, -32000, "The cluster's session directory is unavailable; try again");
    }
    if (!owner || owner.principal !== callerKey) return undefined;
    if (owner.node === cluster.nodeUrl()) {
      // Recorded under this node's address but not open here: this node restarted. The session is gone.
      void this.remove(sessionId);
      return undefined;
    }
    // One controller per forward, ended by the client going away or by this node shutting down (an open
    // notification stream would hold the close). Not AbortSignal.any: on Node 20 the app-long `closing`
    // signal would keep every combined signal for good.
    const { closing } = this;
    const abort = new AbortController();
    const onClientGone = () => abort.abort(request.signal.reason);
    const onShutdown = () => abort.abort(closing.reason);
    request.signal.addEventListener("abort", onClientGone, { once: true });
    closing.addEventListener("abort", onShutdown, { once: true });
    const release = () => {
      request.signal.removeEventListener("abort", onClientGone);
      closing.removeEventListener("abort", onShutdown);
    };
    if (request.signal.aborted) onClientGone();
    if (closing.aborted) onShutdown();
    const forwarded = await forwardToNode(request, parsedBody, owner.node, abort.signal);
    switch (forwarded.kind) {
      case "answered":
        // The owner does not have it (it restarted at the same address): the record is stale.
        if (forwarded.response.status === 404) void this.remove(sessionId);
        return endWhen(forwarded.response, abort.signal, release);
      case "gone":
        release();
        this.onError(
          new Error(
            `MCP session ${sessionId}: nothing listens at its node ${owner.node} (${forwarded.error.message}); the session is gone`,
          ),
        );
        void this.remove(sessionId);
        return undefined;
      case "failed":
        // Maybe a passing fault of a live owner: the session is kept, and the client may retry.
        release();
        this.onError(
          new Error(
            `MCP session ${sessionId}: its node ${owner.node} did not answer (${forwarded.error.message})`,
          ),
        );
        return jsonRpcError(502, -32000, "The node holding this session did not answer; try again");
      case "aborted":
        // Never 404 here: the session is alive on its node, and a 404 tells the client to drop it.
        release();
        return jsonRpcError(503, -32000, "This node is shutting down; try again");
    }
  }

  private report(error: unknown): void {
    this.onError(error instanceof Error ? error : new Error(String(error)));
  }
}
