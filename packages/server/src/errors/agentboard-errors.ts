import { AgentboardError } from "@agentboard/protocol";

/**
 * Shorthands for the contract's error codes: domain code (services, stores, the hub) throws these, and
 * http/error-handler.ts maps them to HTTP status once, at the edge. Nothing here knows about HTTP.
 */
export const unauthorized = (message = "a valid token or session is required") =>
  new AgentboardError("unauthorized", message);
export const forbidden = (message: string) => new AgentboardError("forbidden", message);
export const notFound = (message: string) => new AgentboardError("not_found", message);
export const conflict = (message: string, details: unknown) =>
  new AgentboardError("conflict", message, details);
export const invalid = (message: string, details?: unknown) =>
  new AgentboardError("invalid", message, details);
export const badRequest = (message: string) => new AgentboardError("bad_request", message);
export const unavailable = (message: string) => new AgentboardError("unavailable", message);
