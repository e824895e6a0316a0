import { describe, expect, it } from "vitest";
import {
  AgentboardError,
  DocumentTooLargeError,
  JsonTooDeepError,
  PatchApplyError,
  PatchPathError,
  StateValidationError,
  UnsupportedSchemaVersionError,
} from "./agentboard-error.js";
import { ApiErrorSchema, ERROR_STATUS, ErrorCodeSchema } from "./error-codes.js";

const subclasses: Array<[string, AgentboardError]> = [
  ["PatchPathError", new PatchPathError("/x", "reason")],
  ["PatchApplyError", new PatchApplyError(1, "add", "/x", "reason")],
  ["StateValidationError", new StateValidationError([{ path: "/a", message: "bad" }])],
  ["DocumentTooLargeError", new DocumentTooLargeError(10, 5)],
  ["JsonTooDeepError", new JsonTooDeepError(64)],
  ["UnsupportedSchemaVersionError", new UnsupportedSchemaVersionError(2, 1)],
];

describe("AgentboardError.isInstance", () => {
  it.each(subclasses)("is true for %s, which is also an Error with its own name", (name, error) => {
    expect(AgentboardError.isInstance(error)).toBe(true);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
  });

  it("is true for a plain object carrying the marker (another copy of the package)", () => {
    const foreign = { [Symbol.for("agentboard.error")]: true, code: "conflict", message: "m" };
    expect(AgentboardError.isInstance(foreign)).toBe(true);
  });

  it("is false for plain Errors, unmarked objects, a marker that is not true, and primitives", () => {
    expect(AgentboardError.isInstance(new Error("x"))).toBe(false);
    expect(AgentboardError.isInstance(new TypeError("x"))).toBe(false);
    expect(AgentboardError.isInstance({ code: "invalid", message: "m" })).toBe(false);
    expect(AgentboardError.isInstance({ [Symbol.for("agentboard.error")]: "yes" })).toBe(false);
    expect(AgentboardError.isInstance({ [Symbol("agentboard.error")]: true })).toBe(false);
    expect(AgentboardError.isInstance(null)).toBe(false);
    expect(AgentboardError.isInstance(undefined)).toBe(false);
    expect(AgentboardError.isInstance("invalid")).toBe(false);
  });
});

describe("AgentboardError", () => {
  it("toJSON gives {error, message, details}", () => {
    const error = new AgentboardError("conflict", "rev moved", { rev: 7 });
    expect(error.toJSON()).toEqual({ error: "conflict", message: "rev moved", details: { rev: 7 } });
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      error: "conflict",
      message: "rev moved",
      details: { rev: 7 },
    });
    expect(ApiErrorSchema.safeParse(error.toJSON()).success).toBe(true);
  });

  it("toJSON omits details when there are none and never includes a stack", () => {
    const json = new AgentboardError("not_found", "no such dashboard").toJSON();
    expect(json).toEqual({ error: "not_found", message: "no such dashboard" });
    expect(Object.keys(json)).toEqual(["error", "message"]);
  });

  it("keeps the cause", () => {
    const cause = new Error("disk");
    expect(new AgentboardError("unavailable", "store down", undefined, { cause }).cause).toBe(cause);
  });

  it.each(Object.entries(ERROR_STATUS))("maps code %s to status %i", (code, status) => {
    expect(new AgentboardError(code as keyof typeof ERROR_STATUS, "m").status).toBe(status);
  });

  // The contract's codes and statuses, written out here rather than read from ERROR_STATUS.
  it.each([
    ["unauthorized", 401],
    ["forbidden", 403],
    ["not_found", 404],
    ["conflict", 409],
    ["invalid", 422],
    ["payload_too_large", 413],
    ["rate_limited", 429],
    ["unavailable", 503],
    ["internal", 500],
  ] as const)("keeps the contract's code %s at status %i", (code, status) => {
    expect(ERROR_STATUS[code]).toBe(status);
  });

  it("knows no code outside the list", () => {
    expect(ErrorCodeSchema.safeParse("teapot").success).toBe(false);
  });

  it("subclasses carry the contract codes and statuses", () => {
    expect(new PatchPathError("/x", "r").status).toBe(422);
    expect(new PatchApplyError(0, "add", "/x", "r").status).toBe(422);
    expect(new StateValidationError([]).status).toBe(422);
    expect(new JsonTooDeepError(64).status).toBe(422);
    expect(new UnsupportedSchemaVersionError(2, 1).status).toBe(422);
    const tooLarge = new DocumentTooLargeError(300_000, 262_144);
    expect(tooLarge.code).toBe("payload_too_large");
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.toJSON()).toEqual({
      error: "payload_too_large",
      message: "dashboard document is 300000 bytes; the limit is 262144",
      details: { bytes: 300_000, limit: 262_144 },
    });
  });

  it("StateValidationError summarises the first issue and counts the rest", () => {
    const error = new StateValidationError([
      { path: "/a", message: "bad" },
      { path: "", message: "worse" },
      { path: "/c", message: "worst" },
    ]);
    expect(error.message).toBe("dashboard state is invalid at /a: bad (and 2 more)");
    expect(error.issues).toHaveLength(3);
    expect(new StateValidationError([{ path: "", message: "m" }], "body").message).toBe(
      "body is invalid at (root): m",
    );
  });
});
