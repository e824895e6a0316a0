import { randomBytes } from "node:crypto";
import type { Principal } from "../auth/principal.js";

export const TICKET_TTL_MS = 30_000;
/** Bounds memory if a client requests tickets in a loop without using them. */
const MAX_OUTSTANDING_TICKETS = 50_000;

/** An issued ticket as the client gets it. */
export interface IssuedTicket {
  ticket: string;
  expiresAt: string;
}

/**
 * Where tickets live: this process (embedded) or Redis (cluster mode, where the node that issues a ticket
 * is often not the one the WebSocket reaches). `issue` answers null when too many tickets are outstanding.
 */
export interface RealtimeTickets {
  issue(principal: Principal): IssuedTicket | null | Promise<IssuedTicket | null>;
  /** The ticket's principal if it is known and fresh; the ticket is gone afterwards either way. */
  consume(ticket: string): Principal | null | Promise<Principal | null>;
}

/**
 * Single-use, short-lived tickets that authenticate a WebSocket upgrade. Browsers cannot set headers on a
 * WebSocket, and a cookie alone is refused in production (cross-site WebSocket hijacking), so the page
 * fetches a ticket with its authenticated session and puts it in the URL, where it is useless a moment later.
 */
export class TicketStore implements RealtimeTickets {
  private readonly tickets = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(
    private readonly ttlMs = TICKET_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  issue(principal: Principal): { ticket: string; expiresAt: string } | null {
    this.sweep();
    if (this.tickets.size >= MAX_OUTSTANDING_TICKETS) return null;
    const ticket = `abt_${randomBytes(24).toString("base64url")}`;
    const expiresAt = this.now() + this.ttlMs;
    this.tickets.set(ticket, { principal, expiresAt });
    return { ticket, expiresAt: new Date(expiresAt).toISOString() };
  }

  /** The ticket's principal if it is known and fresh; the ticket is gone afterwards either way. */
  consume(ticket: string): Principal | null {
    const entry = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    if (!entry || entry.expiresAt <= this.now()) return null;
    return entry.principal;
  }

  get size(): number {
    return this.tickets.size;
  }

  private sweep(): void {
    const now = this.now();
    for (const [ticket, entry] of this.tickets) if (entry.expiresAt <= now) this.tickets.delete(ticket);
  }
}
