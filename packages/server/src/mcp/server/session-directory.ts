import type { Redis } from "ioredis";
import type { Principal } from "../../auth/principal.js";

/** A principal as one string: what a session record names, and what a request's caller is compared with. */
export const principalKey = (p: Principal) => `${p.workspaceId}\u0000${p.kind}:${p.id}`;

/** Who holds a 2025-era MCP session: the node serving it, and the principal that opened it. */
export interface McpSessionOwner {
  /** The owning node's URL for other nodes (AGENTBOARD_NODE_URL). */
  node: string;
  /** The principal's key (workspace, kind and id): a request from anyone else is never forwarded. */
  principal: string;
}

/**
 * Cluster mode: which node holds each open 2025-era MCP session. A session's server instance (its
 * subscriptions, its running calls, its notification stream) lives in the node that opened it; a request for
 * it that reaches another node behind a load balancer is forwarded there (session-forwarding.ts).
 */
export interface McpSessionDirectory {
  /** Records a session for `ttlMs`; writing it again renews it. */
  register(sessionId: string, owner: McpSessionOwner, ttlMs: number): Promise<void>;
  lookup(sessionId: string): Promise<McpSessionOwner | undefined>;
  remove(sessionId: string): Promise<void>;
}

/** Records under `<prefix>mcp:session:<id>`, expiring with the session's idle limit. */
export class RedisMcpSessionDirectory implements McpSessionDirectory {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(sessionId: string): string {
    return `${this.prefix}mcp:session:${sessionId}`;
  }

  async register(sessionId: string, owner: McpSessionOwner, ttlMs: number): Promise<void> {
    await this.redis.set(this.key(sessionId), JSON.stringify(owner), "PX", Math.max(1, Math.round(ttlMs)));
  }

  async lookup(sessionId: string): Promise<McpSessionOwner | undefined> {
    const value = await this.redis.get(this.key(sessionId));
    if (value === null) return undefined;
    try {
      const parsed = JSON.parse(value) as Partial<McpSessionOwner>;
      if (typeof parsed.node === "string" && typeof parsed.principal === "string")
        return { node: parsed.node, principal: parsed.principal };
    } catch {
      // A record this version cannot read is no session it can forward to.
    }
    return undefined;
  }

  async remove(sessionId: string): Promise<void> {
    await this.redis.del(this.key(sessionId));
  }
}
