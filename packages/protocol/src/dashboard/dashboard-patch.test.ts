import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { deepFreeze, makeDashboardState } from "../__fixtures__/dashboard.js";
import {
  AgentboardError,
  DocumentTooLargeError,
  JsonTooDeepError,
  PatchApplyError,
  PatchPathError,
  StateValidationError,
} from "../errors/index.js";
import { applyJsonPatch } from "../json-patch/apply-patch.js";
import type { JsonPatchOp } from "../json-patch/patch-op.js";
import { LIMITS } from "../limits.js";
import { applyCheckedDashboardPatch, applyDashboardPatch, checkDashboardPatch } from "./dashboard-patch.js";
import {
  type DashboardState,
  DashboardStateSchema,
  takeDashboardStateJson,
  validateDashboardState,
} from "./dashboard-state.js";

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Applies a patch that must fail to a deep-frozen fixture state and checks the error class and that the
 * state still deep-equals its original. Returns the error for further checks.
 */
function expectRejected(
  ops: unknown[],
  errorClass: ErrorClass,
  state: DashboardState = makeDashboardState(),
) {
  const original = structuredClone(state);
  const frozen = deepFreeze(state);
  let caught: unknown;
  try {
    applyDashboardPatch(frozen, ops as JsonPatchOp[]);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(errorClass);
  expect(AgentboardError.isInstance(caught)).toBe(true);
  expect(frozen).toEqual(original);
  return caught as AgentboardError;
}

function applyToFixture(ops: JsonPatchOp[]) {
  return applyDashboardPatch(deepFreeze(makeDashboardState()), ops);
}

describe("applyDashboardPatch: valid patches", () => {
  it("replaces a widget title and returns the validated state and its paths", () => {
    const input = deepFreeze(makeDashboardState());
    const { state, paths } = applyDashboardPatch(input, [
      { op: "replace", path: "/widgets/note/title", value: "Renamed" },
    ]);
    expect(state.widgets.note?.title).toBe("Renamed");
    expect(input.widgets.note?.title).toBe("Note");
    expect(paths).toEqual(["/widgets/note/title"]);
  });

  it("adds a widget with its layout item", () => {
    const widget = { ...makeDashboardState().widgets.note!, id: "note2", title: "Second" };
    const { state, paths } = applyToFixture([
      { op: "add", path: "/widgets/note2", value: widget },
      { op: "add", path: "/layout/items/-", value: { widgetId: "note2", x: 0, y: 10, w: 12, h: 2 } },
    ]);
    expect(state.widgets.note2?.title).toBe("Second");
    expect(state.layout.items.at(-1)).toEqual({ widgetId: "note2", x: 0, y: 10, w: 12, h: 2 });
    expect(paths).toEqual(["/layout/items", "/widgets/note2"]);
  });

  it("removes a widget together with its layout item", () => {
    const index = makeDashboardState().layout.items.findIndex((item) => item.widgetId === "chart");
    const { state } = applyToFixture([
      { op: "remove", path: `/layout/items/${index}` },
      { op: "remove", path: "/widgets/chart" },
    ]);
    expect(Object.hasOwn(state.widgets, "chart")).toBe(false);
    expect(state.layout.items.some((item) => item.widgetId === "chart")).toBe(false);
  });

  it("changes preferences and free-form source args", () => {
    const { state } = applyToFixture([
      { op: "replace", path: "/preferences/theme", value: "light" },
      { op: "remove", path: "/preferences/density" },
      { op: "add", path: "/widgets/table/source/args/page", value: { n: [1, 2] } },
    ]);
    expect(state.preferences).toEqual({ theme: "light" });
    expect(state.widgets.table?.source).toEqual({
      kind: "mcp",
      server: "github",
      tool: "list_prs",
      args: { repo: "a/b", page: { n: [1, 2] } },
    });
  });
});

describe("applyDashboardPatch: forbidden segments", () => {
  const forbidden = ["__proto__", "constructor", "prototype"];

  it.each(forbidden)('rejects "%s" as the first segment', (name) => {
    const error = expectRejected([{ op: "add", path: `/${name}/polluted`, value: true }], PatchPathError);
    expect(error.code).toBe("invalid");
    expect(error.status).toBe(422);
  });

  it.each(forbidden)('rejects "%s" as a widget id', (name) => {
    expect(expectRejected([{ op: "add", path: `/widgets/${name}`, value: {} }], PatchPathError).code).toBe(
      "invalid",
    );
  });

  it.each(forbidden)('rejects "%s" nested deep in a path', (name) => {
    expectRejected([{ op: "add", path: `/widgets/note/props/${name}`, value: 1 }], PatchPathError);
    expectRejected([{ op: "add", path: `/widgets/table/source/args/${name}`, value: 1 }], PatchPathError);
    expectRejected([{ op: "replace", path: `/preferences/${name}/x`, value: 1 }], PatchPathError);
  });

  // Under free-form JSON (source args) every key is allowed by the schema walk, so only the forbidden-name
  // rule stands between these paths and the document.
  it.each(forbidden)('rejects "%s" under free-form source args, where the schema allows any key', (name) => {
    const error = expectRejected(
      [{ op: "add", path: `/widgets/table/source/args/repo/${name}`, value: { polluted: true } }],
      PatchPathError,
    );
    expect(error.message).toContain("reserved name");
    expectRejected(
      [{ op: "remove", path: `/widgets/activity/source/input/since/${name}/x` }],
      PatchPathError,
    );
  });

  it.each(forbidden)('rejects "%s" in the from of move and copy', (name) => {
    expectRejected([{ op: "move", from: `/widgets/${name}`, path: "/widgets/x" }], PatchPathError);
    expectRejected(
      [{ op: "copy", from: `/widgets/note/${name}`, path: "/widgets/note/title" }],
      PatchPathError,
    );
  });

  it.each(forbidden)('rejects "%s" as an own key inside an op value, at any depth', (name) => {
    const top = JSON.parse(`{"${name}": {"polluted": true}}`);
    const deep = JSON.parse(`{"a": [{"b": {"${name}": {"polluted": true}}}]}`);
    expect(Object.hasOwn(top, name)).toBe(true);
    expectRejected([{ op: "add", path: "/widgets/table/source/args/x", value: top }], PatchPathError);
    expectRejected([{ op: "add", path: "/widgets/table/source/args/x", value: deep }], PatchPathError);
    expectRejected([{ op: "test", path: "/widgets/table/source/args/x", value: deep }], PatchPathError);
  });

  it("leaves Object.prototype untouched after attempted pollution", () => {
    expectRejected([{ op: "add", path: "/__proto__/polluted", value: true }], PatchPathError);
    expectRejected(
      [
        {
          op: "add",
          path: "/widgets/table/source/args/x",
          value: JSON.parse('{"__proto__":{"polluted":true}}'),
        },
      ],
      PatchPathError,
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("applyDashboardPatch: paths checked against the schema", () => {
  it.each([
    ["an unknown root", "/theme"],
    ["the server-owned /schemaVersion", "/schemaVersion"],
    ["an unknown key under props", "/widgets/note/props/bogus"],
    ["an unknown widget field", "/widgets/note/colour"],
    ["an unknown preferences key", "/preferences/fontSize"],
    ["an invalid widget id segment", "/widgets/bad id"],
    ["a leading-zero array index", "/layout/items/01"],
    ["a segment under a primitive", "/widgets/note/title/x"],
    ["the whole document", ""],
    ["a pointer without leading slash", "widgets/note/title"],
  ])("rejects %s (%s)", (_what, path) => {
    const error = expectRejected([{ op: "replace", path, value: 1 }], PatchPathError);
    expect(error.code).toBe("invalid");
  });

  it("checks every op, not just the first", () => {
    expectRejected(
      [
        { op: "replace", path: "/widgets/note/title", value: "ok" },
        { op: "replace", path: "/schemaVersion", value: 2 },
      ],
      PatchPathError,
    );
  });
});

describe("applyDashboardPatch: result validation", () => {
  it("rejects an unknown widget type", () => {
    const error = expectRejected(
      [{ op: "replace", path: "/widgets/note/type", value: "video" }],
      StateValidationError,
    );
    expect(error.code).toBe("invalid");
    expect((error as StateValidationError).issues[0]?.path).toMatch(/^\/widgets\/note/);
  });

  it("rejects a wrong prop type", () => {
    const error = expectRejected(
      [{ op: "replace", path: "/widgets/project/props/progress", value: "50" }],
      StateValidationError,
    );
    expect((error as StateValidationError).issues.map((i) => i.path)).toContain(
      "/widgets/project/props/progress",
    );
  });

  it("rejects props of another widget type (path exists in the catalogue, not on this widget)", () => {
    expectRejected([{ op: "add", path: "/widgets/note/props/tasks", value: [] }], StateValidationError);
  });

  it("rejects a widget stored under a key that differs from its id", () => {
    expectRejected([{ op: "copy", from: "/widgets/note", path: "/widgets/note2" }], StateValidationError);
  });

  it("rejects a removed widget that still has a layout item", () => {
    expectRejected([{ op: "remove", path: "/widgets/note" }], StateValidationError);
  });

  it("reports a failed apply as PatchApplyError", () => {
    const error = expectRejected(
      [{ op: "replace", path: "/widgets/missing/title", value: "x" }],
      PatchApplyError,
    );
    expect(error.details).toMatchObject({ index: 0, path: "/widgets/missing/title" });
  });

  it("rejects a 100-deep nested value with JsonTooDeepError", () => {
    let value: unknown = "leaf";
    for (let i = 0; i < 100; i++) value = { k: value };
    expectRejected([{ op: "add", path: "/widgets/table/source/args/deep", value }], JsonTooDeepError);
  });

  it("rejects a state over 256 KiB with DocumentTooLargeError (payload_too_large, 413)", () => {
    const big = "x".repeat(60_000);
    const base = makeDashboardState();
    const ops: JsonPatchOp[] = ["n1", "n2", "n3", "n4", "n5"].map((id) => ({
      op: "add",
      path: `/widgets/${id}`,
      value: { ...base.widgets.note!, id, props: { markdown: big } },
    }));
    const error = expectRejected(ops, DocumentTooLargeError, base);
    expect(error.code).toBe("payload_too_large");
    expect(error.status).toBe(413);
    expect((error.details as { limit: number }).limit).toBe(LIMITS.maxDocumentBytes);
    // Four of them fit: the cap is what rejects five, not some other rule.
    expect(() => applyDashboardPatch(makeDashboardState(), ops.slice(0, 4))).not.toThrow();
  });
});

describe("applyDashboardPatch: links", () => {
  const hrefPath = "/widgets/alert/props/link/href";

  it.each([
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "java\tscript:alert(1)",
    "//evil.com",
    "/\\evil.com",
    "data:text/html,<script>alert(1)</script>",
  ])("rejects href %j", (href) => {
    expectRejected([{ op: "replace", path: hrefPath, value: href }], StateValidationError);
  });

  it.each(["https://x", "http://x/y", "/relative?q"])("accepts href %j", (href) => {
    const { state } = applyToFixture([{ op: "replace", path: hrefPath, value: href }]);
    const alert = state.widgets.alert;
    expect(alert?.type === "alert" && alert.props.link?.href).toBe(href);
  });
});

describe("checkDashboardPatch: conflict paths", () => {
  it("cuts paths at the first array index", () => {
    expect(checkDashboardPatch([{ op: "replace", path: "/layout/items/3/x", value: 1 }])).toEqual([
      "/layout/items",
    ]);
    expect(checkDashboardPatch([{ op: "add", path: "/layout/items/-", value: {} }])).toEqual([
      "/layout/items",
    ]);
    expect(
      checkDashboardPatch([{ op: "replace", path: "/widgets/tasks/props/tasks/0/title", value: "t" }]),
    ).toEqual(["/widgets/tasks/props/tasks"]);
  });

  it("keeps paths without an array index as they are, re-escaping segments", () => {
    expect(checkDashboardPatch([{ op: "remove", path: "/widgets/table/source/args/a~1b" }])).toEqual([
      "/widgets/table/source/args/a~1b",
    ]);
    expect(
      checkDashboardPatch([{ op: "add", path: "/widgets/table/source/args/a~1b/0/c", value: 1 }]),
    ).toEqual(["/widgets/table/source/args/a~1b"]);
  });

  it("includes from of move and copy, sorted and unique", () => {
    expect(
      checkDashboardPatch([
        { op: "move", from: "/widgets/tasks/props/tasks/1", path: "/widgets/tasks/props/tasks/0" },
        { op: "copy", from: "/widgets/note/title", path: "/widgets/alert/title" },
        { op: "replace", path: "/widgets/note/title", value: "x" },
      ]),
    ).toEqual(["/widgets/alert/title", "/widgets/note/title", "/widgets/tasks/props/tasks"]);
  });

  it("returns the same paths applyDashboardPatch returns", () => {
    const ops: JsonPatchOp[] = [
      { op: "replace", path: "/layout/items/0/y", value: 20 },
      { op: "replace", path: "/preferences/theme", value: "system" },
    ];
    expect(applyToFixture(ops).paths).toEqual(checkDashboardPatch(ops));
    expect(checkDashboardPatch(ops)).toEqual(["/layout/items", "/preferences/theme"]);
  });
});

// Property 1: random valid replace ops on the fixture never mutate the input and always validate.
const replaceOpArb: fc.Arbitrary<JsonPatchOp> = fc.oneof(
  fc.record({
    op: fc.constant("replace" as const),
    path: fc
      .constantFrom("project", "tasks", "metrics", "alert", "activity", "chart", "table", "note")
      .map((id) => `/widgets/${id}/title`),
    value: fc.string({ maxLength: LIMITS.maxLabelLength }),
  }),
  fc.record({
    op: fc.constant("replace" as const),
    path: fc.constant("/widgets/project/props/progress"),
    value: fc.double({ min: 0, max: 100, noNaN: true }),
  }),
  fc.record({
    op: fc.constant("replace" as const),
    path: fc.constant("/widgets/project/props/status"),
    value: fc.constantFrom("on_track", "at_risk", "off_track", "done"),
  }),
  fc.record({
    op: fc.constant("replace" as const),
    path: fc.constantFrom("/widgets/tasks/props/tasks/0/status", "/widgets/tasks/props/tasks/1/status"),
    value: fc.constantFrom("todo", "in_progress", "blocked", "done"),
  }),
  fc.record({
    op: fc.constant("replace" as const),
    path: fc.constant("/widgets/metrics/props/items/1/value"),
    value: fc.double({ noNaN: true, noDefaultInfinity: true }),
  }),
  fc.record({
    op: fc.constant("replace" as const),
    path: fc.constant("/widgets/note/props/markdown"),
    value: fc.string({ maxLength: 500 }),
  }),
  fc.record({
    op: fc.constant("replace" as const),
    path: fc.constant("/widgets/alert/props/severity"),
    value: fc.constantFrom("info", "success", "warning", "error"),
  }),
  fc.record({
    op: fc.constant("replace" as const),
    path: fc.constant("/widgets/chart/status"),
    value: fc.constantFrom("loading", "ready", "empty", "error", "stale"),
  }),
);

describe("applyDashboardPatch properties", () => {
  it("valid replace sequences never mutate the input, always validate, and the last write wins", () => {
    fc.assert(
      fc.property(fc.array(replaceOpArb, { minLength: 1, maxLength: 12 }), (ops) => {
        const input = deepFreeze(makeDashboardState());
        const { state, paths } = applyDashboardPatch(input, ops);
        expect(input).toEqual(makeDashboardState());
        expect(DashboardStateSchema.safeParse(state).success).toBe(true);
        const last = new Map<string, unknown>();
        for (const op of ops) if (op.op === "replace") last.set(op.path, op.value);
        for (const [path, value] of last) {
          const segments = path.slice(1).split("/");
          let current: unknown = state;
          for (const s of segments) current = (current as Record<string, unknown>)[s];
          expect(current).toEqual(value);
        }
        expect(paths.length).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });

  // Property 3: garbage ops (well-typed strings for path/from, anything for op and value) only ever fail
  // with AgentboardError subclasses and never mutate the input.
  const segmentArb = fc.oneof(
    fc.constantFrom(
      "widgets",
      "layout",
      "items",
      "preferences",
      "theme",
      "note",
      "tasks",
      "props",
      "title",
      "0",
      "-",
      "01",
      "__proto__",
      "constructor",
      "schemaVersion",
      "source",
      "args",
    ),
    fc.string({ maxLength: 4 }),
  );
  const pointerArb = fc.oneof(
    fc.array(segmentArb, { maxLength: 7 }).map((s) => s.map((x) => `/${x}`).join("")),
    fc.string({ maxLength: 12 }),
  );
  const garbageOpArb = fc.record(
    {
      op: fc.oneof(fc.constantFrom("add", "remove", "replace", "move", "copy", "test"), fc.anything()),
      path: pointerArb,
      from: pointerArb,
      value: fc.anything(),
    },
    { requiredKeys: ["op", "path", "from"] },
  );

  it("garbage ops only throw AgentboardErrors and never mutate the input", () => {
    fc.assert(
      fc.property(fc.array(garbageOpArb, { minLength: 1, maxLength: 5 }), (ops) => {
        const input = deepFreeze(makeDashboardState());
        try {
          const { state } = applyDashboardPatch(input, ops as JsonPatchOp[]);
          expect(DashboardStateSchema.safeParse(state).success).toBe(true);
        } catch (error) {
          if (!AgentboardError.isInstance(error)) throw error;
          expect(error.code === "invalid" || error.code === "payload_too_large").toBe(true);
        }
        expect(input).toEqual(makeDashboardState());
      }),
      { numRuns: 1000 },
    );
  });

  // Ops from unchecked callers (SDK, MCP tools) are shape-checked, so malformed ones are `invalid`, never a TypeError.
  it("a move op without from fails with an AgentboardError, not a TypeError", () => {
    expectRejected([{ op: "move", path: "/widgets/x" }], StateValidationError);
  });

  it("a non-string path fails with an AgentboardError, not a TypeError", () => {
    expectRejected([{ op: "replace", path: 5, value: 1 }], StateValidationError);
  });

  it("an unknown op name is rejected", () => {
    expectRejected([{ op: "merge", path: "/widgets/note/title", value: "x" }], AgentboardError);
  });
});

// Property: validating only what a patch changed (validateDashboardStateChange) decides exactly as validating
// the whole result does: same accept/reject, same error class and message, an equal state.
describe("applyCheckedDashboardPatch: incremental validation equals full validation", () => {
  const fixtureIds = ["project", "tasks", "metrics", "alert", "activity", "chart", "table", "note"];
  const deep = (depth: number): unknown => (depth === 0 ? 1 : { d: deep(depth - 1) });
  const valueArb: fc.Arbitrary<unknown> = fc.oneof(
    fc.constantFrom(
      "x",
      "",
      7,
      -1,
      2.5,
      true,
      null,
      [],
      {},
      "loading",
      "error",
      "done",
      "on_track",
      "light",
      "dark",
      // Free-form source args sit 5 levels down: 4 more levels are one too many, 5 fewer fit exactly.
      deep(LIMITS.maxJsonDepth - 5),
      deep(LIMITS.maxJsonDepth - 4),
      deep(LIMITS.maxJsonDepth),
      { widgetId: "note", x: 0, y: 0, w: 4, h: 4 },
      { widgetId: "ghost", x: 0, y: 0, w: 4, h: 4 },
      { widgetId: "note", x: 10, y: 0, w: 4, h: 4 },
      { columns: 12, items: [] },
      { columns: 11, items: [] },
      { theme: "dark" },
      { theme: "neon" },
      JSON.parse('{"__proto__": {"polluted": true}}'),
      "y".repeat(200),
    ),
    fc.constantFrom(...fixtureIds).map((id) => structuredClone(makeDashboardState().widgets[id])),
    fc
      .tuple(fc.constantFrom(...fixtureIds), fc.constantFrom("fresh", "note", "bad id!", "constructor"))
      .map(([from, id]) => ({ ...structuredClone(makeDashboardState().widgets[from]), id })),
    fc.string({ maxLength: 8 }),
    fc.integer({ min: -5, max: 20 }),
  );
  const pathArb = fc.oneof(
    fc.constantFrom(
      "/layout",
      "/layout/items/0",
      "/layout/items/-",
      "/layout/items/1/w",
      "/layout/items/0/widgetId",
      "/layout/columns",
      "/preferences",
      "/preferences/theme",
      "/preferences/density",
      "/widgets",
      "/widgets/fresh",
      "/widgets/bad id!",
      "/widgets/table/source/args/page",
      "/schemaVersion",
    ),
    fc
      .tuple(
        fc.constantFrom(...fixtureIds),
        fc.constantFrom("", "/title", "/status", "/id", "/type", "/props", "/props/markdown", "/error"),
      )
      .map(([id, rest]) => `/widgets/${id}${rest}`),
  );
  const opArb: fc.Arbitrary<JsonPatchOp> = fc.oneof(
    fc.record({ op: fc.constantFrom("add" as const, "replace" as const), path: pathArb, value: valueArb }),
    fc.record({ op: fc.constant("remove" as const), path: pathArb }),
    fc.record({ op: fc.constantFrom("move" as const, "copy" as const), from: pathArb, path: pathArb }),
  );

  const outcome = (run: () => DashboardState) => {
    try {
      return { ok: true as const, state: run() };
    } catch (error) {
      return {
        ok: false as const,
        error: (error as Error).constructor.name,
        message: (error as Error).message,
      };
    }
  };

  it("agrees on random patches, valid and invalid", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 4 }), (ops) => {
        const previous = deepFreeze(makeDashboardState());
        let applied: unknown;
        try {
          applied = applyJsonPatch(previous, ops);
        } catch {
          return; // not a result to validate (apply errors are the same for both by construction)
        }
        const full = outcome(() => validateDashboardState(applied));
        const incremental = outcome(() => applyCheckedDashboardPatch(previous, ops));
        expect(incremental).toEqual(full);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("takeDashboardStateJson", () => {
  it("hands a store the text the size check made for a patched state, once; later takes serialise anew", () => {
    const state = applyCheckedDashboardPatch(deepFreeze(makeDashboardState()), [
      { op: "replace", path: "/widgets/note/title", value: "n" },
    ]);
    const stringify = vi.spyOn(JSON, "stringify");
    const first = takeDashboardStateJson(state);
    expect(stringify).not.toHaveBeenCalled();
    stringify.mockRestore();
    expect(first).toBe(JSON.stringify(state));
    expect(takeDashboardStateJson(state)).toBe(first);
    expect(takeDashboardStateJson(makeDashboardState())).toBe(JSON.stringify(makeDashboardState()));
  });
});
