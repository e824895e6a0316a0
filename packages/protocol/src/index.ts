// Every export is public API; names are listed explicitly so the surface is chosen on purpose.
export {
  ClientIdSchema,
  ConflictDetailsSchema,
  type DashboardDocument,
  DashboardDocumentSchema,
  DashboardIdSchema,
  DashboardParamsSchema,
  MutationIdSchema,
  type PatchStateBody,
  PatchStateBodySchema,
  type PutStateBody,
  PutStateBodySchema,
  RevResponseSchema,
  RevSchema,
  WidgetParamsSchema,
  WidgetResponseSchema,
} from "./api/dashboards-api.js";
export {
  HealthComponentSchema,
  type MeResponse,
  MeResponseSchema,
  type PrincipalKind,
  PrincipalKindSchema,
  ReadyResponseSchema,
  SessionBodySchema,
  type UserRole,
  UserRoleSchema,
  WorkspaceNameSchema,
} from "./api/identity-api.js";
export {
  CODEC_VERSION,
  CodecError,
  DEFAULT_STATE_ENCODING,
  type DecodeStateOptions,
  decodeState,
  type EncodedState,
  EncodedStateSchema,
  type EncodeStateOptions,
  encodeState,
  parseEncodedState,
  STATE_ENCODINGS,
  type StateEncoding,
  serializeEncodedState,
} from "./codec/index.js";
export { applyDashboardPatch, checkDashboardPatch } from "./dashboard/dashboard-patch.js";
export {
  CURRENT_SCHEMA_VERSION,
  type DashboardState,
  DashboardStateSchema,
  defaultDashboardState,
  GRID_COLUMNS,
  jsonByteLength,
  type LayoutItem,
  LayoutItemSchema,
  LayoutSchema,
  PreferencesSchema,
  toValidationIssues,
  validateDashboardState,
} from "./dashboard/dashboard-state.js";
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
export {
  AgentboardError,
  type ApiError,
  ApiErrorSchema,
  DocumentTooLargeError,
  ERROR_STATUS,
  type ErrorCode,
  ErrorCodeSchema,
  JsonTooDeepError,
  PatchApplyError,
  PatchPathError,
  StateValidationError,
  UnsupportedSchemaVersionError,
  type ValidationIssue,
} from "./errors/index.js";
export { applyJsonPatch, getAtPointer } from "./json-patch/apply-patch.js";
export { overlappingPaths, pathsOverlap } from "./json-patch/conflict-paths.js";
export { formatPointer, parsePointer } from "./json-patch/json-pointer.js";
export {
  type JsonPatch,
  type JsonPatchOp,
  JsonPatchOpSchema,
  JsonPatchSchema,
} from "./json-patch/patch-op.js";
export { assertSafeJson, deepEqual } from "./json-value.js";
export { ID_PATTERN, LIMITS } from "./limits.js";
export {
  DASHBOARD_MIGRATIONS,
  dashboardMigrations,
  loadDashboardState,
} from "./migrations/dashboard-migrations.js";
export {
  createMigrationRegistry,
  type JsonObject,
  type Migration,
  type MigrationRegistry,
} from "./migrations/migration-registry.js";
export {
  AckMessageSchema,
  ApprovalEventMessageSchema,
  CLOSE_CODES,
  type ClientMessage,
  ClientMessageSchema,
  ErrorMessageSchema,
  NackMessageSchema,
  RealtimeTicketResponseSchema,
  type ServerMessage,
  ServerMessageSchema,
  ServerPatchMessageSchema,
  SnapshotMessageSchema,
} from "./realtime/realtime-messages.js";
