import { ERROR_STATUS, type ErrorCode } from "./error-codes.js";

const MARKER = Symbol.for("agentboard.error");

/**
 * Base of every error that carries a contract error code. `isInstance` works across two copies of the
 * package (a marker symbol instead of `instanceof`), which matters when an app bundles the SDK twice.
 */
export class AgentboardError extends Error {
  readonly [MARKER] = true;
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "AgentboardError";
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  static isInstance(value: unknown): value is AgentboardError {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }

  toJSON(): { error: ErrorCode; message: string; details?: unknown } {
    return this.details === undefined
      ? { error: this.code, message: this.message }
      : { error: this.code, message: this.message, details: this.details };
  }
}

/** A JSON Patch path that the schema does not allow (unknown root, forbidden segment, bad pointer). */
export class PatchPathError extends AgentboardError {
  constructor(path: string, reason: string) {
    super("invalid", `path "${path}" is not allowed: ${reason}`, { path, reason });
    this.name = "PatchPathError";
  }
}

/** A JSON Patch that cannot be applied (missing target, failed `test`, bad index). */
export class PatchApplyError extends AgentboardError {
  constructor(index: number, op: string, path: string, reason: string) {
    super("invalid", `patch op ${index} (${op} ${path}) cannot be applied: ${reason}`, {
      index,
      op,
      path,
      reason,
    });
    this.name = "PatchApplyError";
  }
}

export interface ValidationIssue {
  path: string;
  message: string;
}

/** A dashboard state (or another payload) that does not satisfy its schema. */
export class StateValidationError extends AgentboardError {
  readonly issues: ValidationIssue[];
  constructor(issues: ValidationIssue[], what = "dashboard state") {
    const first = issues[0];
    const summary = first ? `${first.path || "(root)"}: ${first.message}` : "invalid";
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
    super("invalid", `${what} is invalid at ${summary}${more}`, { issues });
    this.name = "StateValidationError";
    this.issues = issues;
  }
}

/** A document or payload over its byte cap. */
export class DocumentTooLargeError extends AgentboardError {
  constructor(bytes: number, limit: number, what = "dashboard document") {
    super("payload_too_large", `${what} is ${bytes} bytes; the limit is ${limit}`, { bytes, limit });
    this.name = "DocumentTooLargeError";
  }
}

/** A JSON value nested deeper than allowed. */
export class JsonTooDeepError extends AgentboardError {
  constructor(limit: number) {
    super("invalid", `JSON nesting is deeper than ${limit} levels`, { limit });
    this.name = "JsonTooDeepError";
  }
}

/**
 * A stored document written by a newer agentboard than this one. Refused rather than reset, so that a
 * rollback never destroys a user's dashboard.
 */
export class UnsupportedSchemaVersionError extends AgentboardError {
  readonly found: number;
  readonly supported: number;
  constructor(found: number, supported: number) {
    super(
      "invalid",
      `dashboard schemaVersion ${found} is newer than this agentboard supports (${supported}); upgrade agentboard`,
      { found, supported },
    );
    this.name = "UnsupportedSchemaVersionError";
    this.found = found;
    this.supported = supported;
  }
}
