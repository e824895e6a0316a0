export {
  AgentboardError,
  DocumentTooLargeError,
  JsonTooDeepError,
  PatchApplyError,
  PatchPathError,
  StateValidationError,
  UnsupportedSchemaVersionError,
  type ValidationIssue,
} from "./agentboard-error.js";
export {
  type ApiError,
  ApiErrorSchema,
  ERROR_STATUS,
  type ErrorCode,
  ErrorCodeSchema,
} from "./error-codes.js";
