// Every export is public API. A module whose every export is public is re-exported whole; the others (which also
// export internals) list their public names, so the surface stays chosen on purpose.
export * from "./api/agents-api.js";
export * from "./api/agui-api.js";
export * from "./api/dashboards-api.js";
export * from "./api/directory-api.js";
export * from "./api/identity-api.js";
export * from "./api/mcp-gateway-api.js";
export * from "./api/mcp-server-api.js";
export * from "./api/token-count-api.js";
export * from "./api/tokens-api.js";
export * from "./approvals/index.js";
export * from "./codec/index.js";
export * from "./dashboard/dashboard-patch.js";
export * from "./dashboard/dashboard-state.js";
export { FORBIDDEN_SEGMENTS, HrefSchema, IdSchema, isSafeHref, LinkSchema } from "./dashboard/primitives.js";
export {
  type Widget,
  type WidgetInput,
  WidgetInputSchema,
  WidgetSchema,
  WidgetSourceSchema,
  type WidgetStatus,
  WidgetStatusSchema,
} from "./dashboard/widget.js";
export {
  WIDGET_PROPS_SCHEMAS,
  WIDGET_TYPES,
  type WidgetPropsByType,
  type WidgetType,
  WidgetTypeSchema,
} from "./dashboard/widget-props.js";
export * from "./errors/index.js";
export * from "./json-patch/apply-patch.js";
export * from "./json-patch/conflict-paths.js";
export * from "./json-patch/json-pointer.js";
export * from "./json-patch/patch-op.js";
export * from "./json-value.js";
export * from "./limits.js";
export * from "./migrations/dashboard-migrations.js";
export * from "./migrations/migration-registry.js";
export {
  AckMessageSchema,
  ApprovalEventMessageSchema,
  CLOSE_CODES,
  type ClientMessage,
  type ClientMessageOf,
  ClientMessageSchema,
  type ClientMessageType,
  ErrorMessageSchema,
  McpServerMessageSchema,
  NackMessageSchema,
  PatchMessageSchema,
  PingMessageSchema,
  RealtimeTicketResponseSchema,
  type ServerMessage,
  ServerMessageSchema,
  ServerPatchMessageSchema,
  SnapshotMessageSchema,
  SubscribeApprovalsMessageSchema,
  SubscribedMcpMessageSchema,
  SubscribeMcpMessageSchema,
  SubscribeMessageSchema,
  UnsubscribeMessageSchema,
} from "./realtime/realtime-messages.js";
