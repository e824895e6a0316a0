import { createHash, randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { Principal } from "../auth/principal.js";
import { type IssuedTicket, type RealtimeTickets, TICKET_TTL_MS } from "./ticket-store.js";

/**
 * Realtime tickets in Redis, so a ticket issued by one node opens a WebSocket on any other (behind a load
 * balancer the two requests rarely reach the same node). Single use across the cluster: GETDEL reads and
 * removes in one step, so of two nodes presented the same ticket only one gets the principal. Keys are the
 * SHA-256 of the ticket (a key listing reveals no usable ticket) and expire on their own.
 */
export class RedisTicketStore implements RealtimeTickets {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs = TICKET_TTL_MS,
  ) {}

  async issue(principal: Principal): Promise<IssuedTicket> {
    const ticket = `abt_${randomBytes(24).toString("base64url")}`;
    const expiresAt = Date.now() + this.ttlMs;
    await this.redis.set(this.keyOf(ticket), JSON.stringify(principal), "PX", this.ttlMs);
    return { ticket, expiresAt: new Date(expiresAt).toISOString() };
  }

  async consume(ticket: string): Promise<Principal | null> {
    const stored = await this.redis.getdel(this.keyOf(ticket));
    return stored === null ? null : (JSON.parse(stored) as Principal);
  }

  private keyOf(ticket: string): string {
    return `${this.prefix}ticket:${createHash("sha256").update(ticket).digest("hex")}`;
  }
}
