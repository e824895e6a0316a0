import { describe, expect, it } from "vitest";
import { makeWidgets } from "../__fixtures__/dashboard.js";
import { LIMITS } from "../limits.js";
import { WidgetInputSchema, WidgetSchema, WidgetSourceSchema } from "./widget.js";
import { WIDGET_PROPS_SCHEMAS, WIDGET_TYPES } from "./widget-props.js";

const widgets = makeWidgets();

describe("widget catalogue", () => {
  it("has exactly the eight contract types", () => {
    expect([...WIDGET_TYPES].sort()).toEqual(
      ["activity", "alert", "chart", "metrics", "note", "project_status", "table", "task_list"].sort(),
    );
    expect(Object.keys(widgets).sort()).toEqual([...WIDGET_TYPES].sort());
  });

  it.each(WIDGET_TYPES)("a valid %s widget passes WidgetSchema", (type) => {
    const result = WidgetSchema.safeParse(widgets[type]);
    expect(result.success).toBe(true);
    expect(result.data).toEqual(widgets[type]);
  });

  it.each(WIDGET_TYPES)("%s props are strict: an unknown prop key is rejected", (type) => {
    const widget = { ...widgets[type], props: { ...widgets[type].props, bogus: 1 } };
    expect(WidgetSchema.safeParse(widget).success).toBe(false);
  });

  it("rejects an unknown widget type", () => {
    expect(WidgetSchema.safeParse({ ...widgets.note, type: "video" }).success).toBe(false);
  });

  it("rejects props that belong to another type", () => {
    expect(WidgetSchema.safeParse({ ...widgets.note, props: widgets.task_list.props }).success).toBe(false);
  });

  it("rejects an unknown status and unknown widget fields", () => {
    expect(WidgetSchema.safeParse({ ...widgets.note, status: "done" }).success).toBe(false);
    expect(WidgetSchema.safeParse({ ...widgets.note, colour: "red" }).success).toBe(false);
  });

  it("requires error.retryable", () => {
    expect(
      WidgetSchema.safeParse({ ...widgets.note, error: { message: "x", retryable: false } }).success,
    ).toBe(true);
    expect(WidgetSchema.safeParse({ ...widgets.note, error: { message: "x" } }).success).toBe(false);
  });

  it("rejects a wrong prop type and out-of-range values", () => {
    const project = widgets.project_status;
    expect(WidgetSchema.safeParse({ ...project, props: { ...project.props, progress: "40" } }).success).toBe(
      false,
    );
    expect(WidgetSchema.safeParse({ ...project, props: { ...project.props, progress: 101 } }).success).toBe(
      false,
    );
    expect(WidgetSchema.safeParse({ ...project, props: { ...project.props, progress: -1 } }).success).toBe(
      false,
    );
    const metrics = widgets.metrics;
    const infinite = { items: [{ label: "x", value: Number.POSITIVE_INFINITY }] };
    expect(WidgetSchema.safeParse({ ...metrics, props: infinite }).success).toBe(false);
  });

  it("rejects a title longer than maxLabelLength", () => {
    expect(
      WidgetSchema.safeParse({ ...widgets.note, title: "t".repeat(LIMITS.maxLabelLength) }).success,
    ).toBe(true);
    expect(
      WidgetSchema.safeParse({ ...widgets.note, title: "t".repeat(LIMITS.maxLabelLength + 1) }).success,
    ).toBe(false);
  });

  it("rejects more than maxListItems tasks", () => {
    const task = { id: "t", title: "t", status: "todo" };
    const ok = {
      ...widgets.task_list,
      props: { tasks: Array.from({ length: LIMITS.maxListItems }, () => task) },
    };
    const tooMany = { ...ok, props: { tasks: [...ok.props.tasks, task] } };
    expect(WidgetSchema.safeParse(ok).success).toBe(true);
    expect(WidgetSchema.safeParse(tooMany).success).toBe(false);
  });

  it("rejects a markdown note longer than maxMarkdownLength", () => {
    const note = (n: number) => ({ ...widgets.note, props: { markdown: "m".repeat(n) } });
    expect(WidgetSchema.safeParse(note(LIMITS.maxMarkdownLength)).success).toBe(true);
    expect(WidgetSchema.safeParse(note(LIMITS.maxMarkdownLength + 1)).success).toBe(false);
  });

  it("rejects unsafe links in alert and activity props", () => {
    const alert = widgets.alert;
    const badAlert = {
      ...alert,
      props: { ...alert.props, link: { label: "x", href: "javascript:alert(1)" } },
    };
    expect(WidgetSchema.safeParse(badAlert).success).toBe(false);
    const activity = widgets.activity;
    const entry = { ...activity.props.entries[0]!, link: { label: "x", href: "//evil.com" } };
    expect(WidgetSchema.safeParse({ ...activity, props: { entries: [entry] } }).success).toBe(false);
  });

  it("table rows reject forbidden keys and non-scalar cells", () => {
    const table = widgets.table;
    // zod drops a "__proto__" record key instead of failing; either way it must never reach the output.
    const protoRow = JSON.parse('{"__proto__": {"polluted": true}, "name": "a"}');
    const parsed = WidgetSchema.safeParse({ ...table, props: { ...table.props, rows: [protoRow] } });
    const row = parsed.success && parsed.data.type === "table" ? parsed.data.props.rows[0]! : {};
    expect(Object.getOwnPropertyNames(row)).not.toContain("__proto__");
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect((row as Record<string, unknown>).polluted).toBeUndefined();
    const nested = { ...table, props: { ...table.props, rows: [{ name: { x: 1 } }] } };
    expect(WidgetSchema.safeParse(nested).success).toBe(false);
  });

  it("every props schema in WIDGET_PROPS_SCHEMAS accepts its fixture props", () => {
    for (const type of WIDGET_TYPES) {
      expect(WIDGET_PROPS_SCHEMAS[type].safeParse(widgets[type].props).success).toBe(true);
    }
  });
});

describe("WidgetSourceSchema", () => {
  it("accepts agent and mcp sources", () => {
    expect(
      WidgetSourceSchema.safeParse({ kind: "agent", agentId: "a1", skill: "s", input: { q: 1 } }).success,
    ).toBe(true);
    expect(WidgetSourceSchema.safeParse({ kind: "mcp", server: "gh", tool: "t" }).success).toBe(true);
  });

  it("rejects unknown kinds, missing fields and forbidden arg keys", () => {
    expect(WidgetSourceSchema.safeParse({ kind: "http", url: "https://x" }).success).toBe(false);
    expect(WidgetSourceSchema.safeParse({ kind: "agent", skill: "s" }).success).toBe(false);
    const args = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}');
    const parsed = WidgetSourceSchema.safeParse({ kind: "mcp", server: "gh", tool: "t", args });
    const out = parsed.success && parsed.data.kind === "mcp" ? (parsed.data.args ?? {}) : {};
    expect(Object.getOwnPropertyNames(out)).not.toContain("__proto__");
    expect((out as Record<string, unknown>).polluted).toBeUndefined();
    expect(
      WidgetSourceSchema.safeParse({ kind: "mcp", server: "gh", tool: "t", args: { constructor: 1 } })
        .success,
    ).toBe(false);
  });
});

describe("WidgetInputSchema", () => {
  it.each(WIDGET_TYPES)("accepts a %s widget without server fields", (type) => {
    const { updatedAt: _a, updatedBy: _b, ...input } = widgets[type];
    expect(WidgetInputSchema.safeParse(input).success).toBe(true);
  });

  it("accepts the minimum {type, title, props}", () => {
    expect(WidgetInputSchema.safeParse({ type: "note", title: "n", props: { markdown: "" } }).success).toBe(
      true,
    );
  });

  it("rejects server-owned fields", () => {
    const base = { type: "note", title: "n", props: { markdown: "" } };
    expect(WidgetInputSchema.safeParse({ ...base, updatedAt: "2024-01-01" }).success).toBe(false);
    expect(WidgetInputSchema.safeParse({ ...base, updatedBy: "user:1" }).success).toBe(false);
  });

  it("rejects a forbidden id", () => {
    expect(
      WidgetInputSchema.safeParse({ type: "note", title: "n", props: { markdown: "" }, id: "__proto__" })
        .success,
    ).toBe(false);
  });
});
