import { describe, expect, it } from "vitest";
import { makeDashboardState, makeWidgets } from "../__fixtures__/dashboard.js";
import { LIMITS } from "../limits.js";
import {
  ConflictDetailsSchema,
  DashboardDocumentSchema,
  DashboardIdSchema,
  PatchStateBodySchema,
  PutStateBodySchema,
  WidgetParamsSchema,
  WidgetResponseSchema,
} from "./dashboards-api.js";

describe("DashboardIdSchema", () => {
  it.each(["me", "user:abc", "user:A_b-1", "team-1", "a", "0", `a${"b".repeat(62)}`])("accepts %j", (id) => {
    expect(DashboardIdSchema.safeParse(id).success).toBe(true);
  });

  it.each([
    "Team",
    "-x",
    `a${"b".repeat(63)}`,
    "../x",
    "",
    "team_1",
    "team 1",
    "user:",
    "user:a/b",
    `user:${"a".repeat(65)}`,
    "a/b",
    "%2e%2e",
  ])("rejects %j", (id) => {
    expect(DashboardIdSchema.safeParse(id).success).toBe(false);
  });
});

describe("PatchStateBodySchema", () => {
  const op = { op: "replace", path: "/preferences/theme", value: "dark" };

  it("accepts a minimal and a full body", () => {
    expect(PatchStateBodySchema.safeParse({ baseRev: 0, ops: [op] }).success).toBe(true);
    expect(
      PatchStateBodySchema.safeParse({ baseRev: 3, ops: [op], clientId: "c-1", mutationId: "m.1" }).success,
    ).toBe(true);
  });

  it("rejects extra keys on the body and on ops", () => {
    expect(PatchStateBodySchema.safeParse({ baseRev: 0, ops: [op], extra: 1 }).success).toBe(false);
    expect(PatchStateBodySchema.safeParse({ baseRev: 0, ops: [{ ...op, from: "/a" }] }).success).toBe(false);
  });

  it(`accepts ${LIMITS.maxPatchOps} ops and rejects ${LIMITS.maxPatchOps + 1} or none`, () => {
    expect(
      PatchStateBodySchema.safeParse({ baseRev: 0, ops: Array(LIMITS.maxPatchOps).fill(op) }).success,
    ).toBe(true);
    expect(
      PatchStateBodySchema.safeParse({ baseRev: 0, ops: Array(LIMITS.maxPatchOps + 1).fill(op) }).success,
    ).toBe(false);
    expect(PatchStateBodySchema.safeParse({ baseRev: 0, ops: [] }).success).toBe(false);
  });

  it("rejects bad revs, unknown op names, move without from, and bad client ids", () => {
    expect(PatchStateBodySchema.safeParse({ baseRev: -1, ops: [op] }).success).toBe(false);
    expect(PatchStateBodySchema.safeParse({ baseRev: 1.5, ops: [op] }).success).toBe(false);
    expect(
      PatchStateBodySchema.safeParse({ baseRev: 0, ops: [{ op: "merge", path: "/a", value: 1 }] }).success,
    ).toBe(false);
    expect(PatchStateBodySchema.safeParse({ baseRev: 0, ops: [{ op: "move", path: "/a" }] }).success).toBe(
      false,
    );
    expect(PatchStateBodySchema.safeParse({ baseRev: 0, ops: [{ op: "remove", path: 5 }] }).success).toBe(
      false,
    );
    expect(PatchStateBodySchema.safeParse({ baseRev: 0, ops: [op], clientId: "a b" }).success).toBe(false);
    expect(PatchStateBodySchema.safeParse({ baseRev: 0, ops: [op], mutationId: "" }).success).toBe(false);
  });

  it("rejects a pointer longer than 1024 characters", () => {
    const long = { op: "remove", path: `/${"a".repeat(1024)}` };
    expect(PatchStateBodySchema.safeParse({ baseRev: 0, ops: [long] }).success).toBe(false);
  });
});

describe("other dashboard API schemas", () => {
  it("PutStateBodySchema is strict and requires baseRev", () => {
    expect(PutStateBodySchema.safeParse({ baseRev: 0, state: {} }).success).toBe(true);
    expect(PutStateBodySchema.safeParse({ state: {} }).success).toBe(false);
    expect(PutStateBodySchema.safeParse({ baseRev: 0, state: {}, rev: 1 }).success).toBe(false);
  });

  it("DashboardDocumentSchema validates the state inside the document", () => {
    const doc = { rev: 0, schemaVersion: 1, updatedAt: null, state: makeDashboardState() };
    expect(DashboardDocumentSchema.safeParse(doc).success).toBe(true);
    expect(
      DashboardDocumentSchema.safeParse({ ...doc, state: { ...doc.state, widgets: { x: {} } } }).success,
    ).toBe(false);
  });

  it("WidgetParamsSchema checks both ids; WidgetResponseSchema checks the widget", () => {
    expect(WidgetParamsSchema.safeParse({ id: "me", widgetId: "w1" }).success).toBe(true);
    expect(WidgetParamsSchema.safeParse({ id: "me", widgetId: "__proto__" }).success).toBe(false);
    expect(WidgetParamsSchema.safeParse({ id: "Me", widgetId: "w1" }).success).toBe(false);
    expect(WidgetResponseSchema.safeParse({ rev: 1, widget: makeWidgets().chart }).success).toBe(true);
    expect(
      WidgetResponseSchema.safeParse({ rev: 1, widget: { ...makeWidgets().chart, type: "pie" } }).success,
    ).toBe(false);
  });

  it("ConflictDetailsSchema accepts {rev, paths?}", () => {
    expect(ConflictDetailsSchema.safeParse({ rev: 4, paths: ["/layout/items"] }).success).toBe(true);
    expect(ConflictDetailsSchema.safeParse({ rev: 4 }).success).toBe(true);
    expect(ConflictDetailsSchema.safeParse({ paths: [] }).success).toBe(false);
  });
});
