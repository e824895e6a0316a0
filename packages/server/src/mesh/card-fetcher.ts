import { AgentCard } from "@a2a-js/sdk";
import { isLegacyAgentCard, parseLegacyAgentCard } from "@a2a-js/sdk/compat/v0_3/client";
import {
  type A2aAgentCard,
  A2aAgentCardSchema,
  A2aLegacyAgentCardSchema,
  AgentboardError,
} from "@agentboard/protocol";
import { invalid } from "../errors/agentboard-errors.js";
import { guardedFetch, type SsrfPolicy } from "../net/ssrf-guard.js";

export interface CardFetchOptions extends SsrfPolicy {
  /** A card larger than this is refused (default 256 KiB). */
  maxBytes?: number;
  /** The whole fetch, headers and body, must finish within this (default 5 s). */
  timeoutMs?: number;
  /** Aborts the fetch early (the prober's own deadline). */
  signal?: AbortSignal;
}

export interface FetchedCard {
  card: A2aAgentCard;
  /** "1.0", or "0.3" for a legacy card read through the SDK's compatibility layer. */
  version: "1.0" | "0.3";
  latencyMs: number;
}

export const CARD_MAX_BYTES = 256 * 1024;
export const CARD_TIMEOUT_MS = 5_000;

/**
 * Fetches and validates an A2A agent card. Every outbound request goes through the SSRF guard (no private
 * addresses unless allowed, metadata endpoints never, no redirects); the body is read up to the size cap
 * and no further. A v1.0 card must pass our own schema; a v0.3 card (one `url`, no `supportedInterfaces`)
 * must pass the v0.3 schema, is translated by the SDK's `parseLegacyAgentCard`, and the translation must
 * pass the v1.0 schema too. Any failure is one `invalid` error (422) naming what was wrong.
 */
export async function fetchAgentCard(url: string, options: CardFetchOptions = {}): Promise<FetchedCard> {
  const maxBytes = options.maxBytes ?? CARD_MAX_BYTES;
  const started = performance.now();
  const raw = await fetchJson(url, options, maxBytes);
  const latencyMs = performance.now() - started;
  if (isLegacyAgentCard(raw)) {
    const legacy = A2aLegacyAgentCardSchema.safeParse(raw);
    if (!legacy.success) throw badCard(url, "v0.3 agent card", legacy.error.issues);
    let translated: unknown;
    try {
      translated = AgentCard.toJSON(parseLegacyAgentCard(raw));
    } catch (error) {
      throw invalid(`the v0.3 agent card at ${url} could not be translated: ${describe(error)}`, {
        cardUrl: url,
      });
    }
    const card = A2aAgentCardSchema.safeParse(translated);
    if (!card.success) throw badCard(url, "v0.3 agent card (translated)", card.error.issues);
    return { card: card.data, version: "0.3", latencyMs };
  }
  const card = A2aAgentCardSchema.safeParse(raw);
  if (!card.success) throw badCard(url, "agent card", card.error.issues);
  return { card: card.data, version: "1.0", latencyMs };
}

/** One GET through the guard, bounded in time and size; any failure is an `invalid` error. */
async function fetchJson(url: string, options: CardFetchOptions, maxBytes: number): Promise<unknown> {
  const fetchGuarded = guardedFetch({
    allowPrivateNetwork: options.allowPrivateNetwork,
    privateOrigins: options.privateOrigins,
  });
  const timeout = AbortSignal.timeout(options.timeoutMs ?? CARD_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  let text: string;
  try {
    const response = await fetchGuarded(url, { signal, headers: { accept: "application/json" } });
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw invalid(`the agent card at ${url} answered HTTP ${response.status}`, {
        cardUrl: url,
        status: response.status,
      });
    }
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    if (declared > maxBytes) {
      await response.body?.cancel().catch(() => {});
      throw tooLarge(url, maxBytes);
    }
    text = await readCapped(response, maxBytes, url);
  } catch (error) {
    if (error instanceof AgentboardError) throw error;
    throw invalid(`the agent card at ${url} could not be fetched: ${describe(error)}`, { cardUrl: url });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw invalid(`the agent card at ${url} is not JSON`, { cardUrl: url });
  }
}

async function readCapped(response: Response, maxBytes: number, url: string): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(url, maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function tooLarge(url: string, maxBytes: number) {
  return invalid(`the agent card at ${url} is larger than ${maxBytes} bytes`, { cardUrl: url, maxBytes });
}

function badCard(url: string, what: string, issues: readonly { path: PropertyKey[]; message: string }[]) {
  return invalid(`the ${what} at ${url} is not valid`, {
    cardUrl: url,
    issues: issues
      .slice(0, 20)
      .map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message })),
  });
}

/** The reason of a failed fetch: undici hides it in `cause` (ECONNREFUSED, a redirect, a timeout). */
function describe(error: unknown): string {
  if (error instanceof Error && error.name === "TimeoutError") return "timed out";
  const cause = (error as { cause?: unknown }).cause;
  const inner = cause instanceof Error ? ((cause as NodeJS.ErrnoException).code ?? cause.message) : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return inner ? `${message} (${inner})` : message;
}
