import { z } from "zod";
import {
  AgentEventMessageSchema,
  SubscribeAgentsMessageSchema,
  SubscribedAgentsMessageSchema,
} from "../api/agents-api.js";
import { ClientIdSchema, DashboardIdSchema, MutationIdSchema, RevSchema } from "../api/dashboards-api.js";
import { McpServerStatusSchema } from "../api/mcp-gateway-api.js";
import { ApprovalEventNameSchema, ApprovalSchema } from "../approvals/approval.js";
import { DashboardStateSchema } from "../dashboard/dashboard-state.js";
import { IdSchema } from "../dashboard/primitives.js";
import { ErrorCodeSchema } from "../errors/error-codes.js";
import { JsonPatchSchema } from "../json-patch/patch-op.js";
import { answerFrame, RequestIdSchema, requestFrame } from "./frames.js";

export const SubscribeMessageSchema = requestFrame("subscribe", {
  dashboardId: DashboardIdSchema,
  sinceRev: RevSchema.optional(),
});
export const UnsubscribeMessageSchema = requestFrame("unsubscribe", {
  dashboardId: DashboardIdSchema,
});
export const PatchMessageSchema = requestFrame("patch", {
  dashboardId: DashboardIdSchema,
  baseRev: RevSchema,
  ops: JsonPatchSchema,
  clientId: ClientIdSchema,
  mutationId: MutationIdSchema,
});
export const SubscribeApprovalsMessageSchema = requestFrame("subscribe_approvals");
/** The gateway's upstream MCP servers, live (the Health page): answered `subscribed_mcp`, then `mcp_server`. */
export const SubscribeMcpMessageSchema = requestFrame("subscribe_mcp");
export const PingMessageSchema = requestFrame("ping");

/** Every frame a client may send (contract.md "Realtime"). */
export const ClientMessageSchema = z.discriminatedUnion("type", [
  SubscribeMessageSchema,
  UnsubscribeMessageSchema,
  PatchMessageSchema,
  SubscribeApprovalsMessageSchema,
  SubscribeMcpMessageSchema,
  SubscribeAgentsMessageSchema,
  PingMessageSchema,
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;
export type ClientMessageType = ClientMessage["type"];
/** The client frame of one type (what a server channel that declared the type is handed). */
export type ClientMessageOf<T extends ClientMessageType> = Extract<ClientMessage, { type: T }>;

export const ChangeOriginSchema = z.object({
  clientId: z.string().optional(),
  mutationId: z.string().optional(),
});

export const SubscribedMessageSchema = answerFrame("subscribed", {
  dashboardId: z.string(),
  rev: RevSchema,
});
export const UnsubscribedMessageSchema = answerFrame("unsubscribed", {
  dashboardId: z.string(),
});
export const AckMessageSchema = answerFrame("ack", {
  dashboardId: z.string(),
  rev: RevSchema,
  /**
   * Ops the server appended to the acknowledged edit when committing it (it sets widgets' `updatedBy` and
   * `updatedAt` itself): apply them after the edit's own ops to hold the committed state.
   */
  serverOps: JsonPatchSchema.optional(),
});
export const NackMessageSchema = answerFrame("nack", {
  dashboardId: z.string(),
  error: ErrorCodeSchema,
  message: z.string(),
  rev: RevSchema.optional(),
  paths: z.array(z.string()).optional(),
});
export const SnapshotMessageSchema = z.object({
  type: z.literal("snapshot"),
  dashboardId: z.string(),
  rev: RevSchema,
  state: DashboardStateSchema,
});
export const ServerPatchMessageSchema = z.object({
  type: z.literal("patch"),
  dashboardId: z.string(),
  rev: RevSchema,
  ops: JsonPatchSchema,
  origin: ChangeOriginSchema,
});
export const SubscribedApprovalsMessageSchema = answerFrame("subscribed_approvals");
export const ApprovalEventMessageSchema = z.object({
  type: z.literal("approval"),
  event: ApprovalEventNameSchema,
  approval: ApprovalSchema,
});
export const RefreshMessageSchema = z.object({
  type: z.literal("refresh"),
  dashboardId: z.string(),
  widgetId: IdSchema,
});
/** Every upstream server of this node's gateway as it is now; `mcp_server` frames follow from here on. */
export const SubscribedMcpMessageSchema = answerFrame("subscribed_mcp", {
  servers: z.array(McpServerStatusSchema),
});
/** One server's status changed (connected, lost, breaker, tools, latency, last error). */
export const McpServerMessageSchema = z.object({
  type: z.literal("mcp_server"),
  server: McpServerStatusSchema,
});
export const PongMessageSchema = answerFrame("pong");
export const ErrorMessageSchema = z.object({
  type: z.literal("error"),
  id: RequestIdSchema.optional(),
  error: ErrorCodeSchema,
  message: z.string(),
});

/** Every frame the server sends. Revs of one dashboard reach a client strictly in order. */
export const ServerMessageSchema = z.discriminatedUnion("type", [
  SubscribedMessageSchema,
  UnsubscribedMessageSchema,
  AckMessageSchema,
  NackMessageSchema,
  SnapshotMessageSchema,
  ServerPatchMessageSchema,
  SubscribedApprovalsMessageSchema,
  ApprovalEventMessageSchema,
  RefreshMessageSchema,
  SubscribedMcpMessageSchema,
  McpServerMessageSchema,
  SubscribedAgentsMessageSchema,
  AgentEventMessageSchema,
  PongMessageSchema,
  ErrorMessageSchema,
]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;

export const RealtimeTicketResponseSchema = z.object({ ticket: z.string(), expiresAt: z.string() });

/**
 * WebSocket close codes, shared so server and SDK cannot disagree. 4xxx are ours; the SDK reconnects on
 * all of them except `unauthorized`/`forbidden`, and resubscribes with `sinceRev` (the server then sends the
 * missed patches or one snapshot).
 */
export const CLOSE_CODES = {
  /** Ticket/token missing, expired or already used. Do not retry with the same credentials. */
  unauthorized: 4401,
  forbidden: 4403,
  /** No pong within the heartbeat window. */
  heartbeatTimeout: 4408,
  /** The client could not keep up (send buffer over the bound): reconnect and resync from sinceRev. */
  resyncRequired: 4409,
  /** Sustained flood over the per-connection rate. */
  rateLimited: 4429,
  /** The server is shutting down; reconnect (possibly to another node). */
  goingAway: 1001,
  /** A frame over the maximum size (ws closes with this by itself). */
  messageTooBig: 1009,
} as const;
