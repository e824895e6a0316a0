import { describe, expect, it } from "vitest";
import { deepFreeze, makeDashboardState } from "../__fixtures__/dashboard.js";
import { CURRENT_SCHEMA_VERSION, DashboardStateSchema } from "../dashboard/dashboard-state.js";
import { StateValidationError, UnsupportedSchemaVersionError } from "../errors/index.js";
import { DASHBOARD_MIGRATIONS, dashboardMigrations, loadDashboardState } from "./dashboard-migrations.js";
import { createMigrationRegistry, type JsonObject, type Migration } from "./migration-registry.js";

/** The shape the first prototype cached in browsers (see dashboard-migrations.ts). */
function makeV0Document(): JsonObject {
  return {
    theme: "dark",
    savedAt: "2023-11-02T10:00:00.000Z",
    widgets: [
      { id: "n1", type: "note", title: "Hello", props: { markdown: "hi" }, x: 0, y: 0, w: 6, h: 2 },
      {
        id: "p1",
        type: "project_status",
        title: "Proj",
        props: { name: "P", status: "on_track", progress: 10 },
        x: 6,
        y: 0,
        w: 6,
        h: 3,
      },
      { id: "a1", type: "alert", title: "A", props: { severity: "info", message: "m" } },
    ],
  };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected a throw");
}

describe("loadDashboardState", () => {
  it("migrates a v0 document to a valid v1 state with layout items and preferences.theme", () => {
    const v0 = deepFreeze(makeV0Document());
    const { state, migratedFrom } = loadDashboardState(v0);
    expect(migratedFrom).toBe(0);
    expect(DashboardStateSchema.safeParse(state).success).toBe(true);
    expect(state.schemaVersion).toBe(1);
    expect(state.preferences).toEqual({ theme: "dark" });
    expect(state.layout).toEqual({
      columns: 12,
      items: [
        { widgetId: "n1", x: 0, y: 0, w: 6, h: 2 },
        { widgetId: "p1", x: 6, y: 0, w: 6, h: 3 },
        { widgetId: "a1", x: 0, y: 0, w: 4, h: 3 },
      ],
    });
    expect(state.widgets.n1).toEqual({
      id: "n1",
      type: "note",
      title: "Hello",
      props: { markdown: "hi" },
      status: "ready",
      updatedAt: "2023-11-02T10:00:00.000Z",
      updatedBy: "migration:v0",
    });
    expect(Object.keys(state.widgets).sort()).toEqual(["a1", "n1", "p1"]);
    expect(v0).toEqual(makeV0Document());
  });

  it("drops an unknown v0 theme and defaults updatedAt without savedAt", () => {
    const v0 = { theme: "neon", widgets: [{ id: "n", type: "note", title: "t", props: { markdown: "" } }] };
    const { state } = loadDashboardState(v0);
    expect(state.preferences).toEqual({});
    expect(state.widgets.n?.updatedAt).toBe("1970-01-01T00:00:00.000Z");
  });

  it("loads an empty v0 document (no widgets) as an empty v1 state", () => {
    expect(loadDashboardState({})).toEqual({
      state: { schemaVersion: 1, layout: { columns: 12, items: [] }, widgets: {}, preferences: {} },
      migratedFrom: 0,
    });
  });

  it("rejects an invalid v0 widget after migration instead of dropping data silently", () => {
    const v0 = { widgets: [{ id: "n", type: "video", title: "t", props: {} }] };
    expect(thrown(() => loadDashboardState(v0))).toBeInstanceOf(StateValidationError);
  });

  it('rejects a v0 widget with id "__proto__" without polluting anything', () => {
    const v0 = JSON.parse(
      '{"widgets":[{"id":"__proto__","type":"note","title":"t","props":{"markdown":"x"}}]}',
    );
    expect(thrown(() => loadDashboardState(v0))).toBeInstanceOf(StateValidationError);
    expect(({} as Record<string, unknown>).status).toBeUndefined();
  });

  it("loads a current-version state unchanged", () => {
    const state = makeDashboardState();
    expect(loadDashboardState(deepFreeze(state))).toEqual({ state: makeDashboardState(), migratedFrom: 1 });
  });

  it("refuses a newer schemaVersion with UnsupportedSchemaVersionError, never a reset", () => {
    const error = thrown(() => loadDashboardState({ ...makeDashboardState(), schemaVersion: 2 }));
    expect(error).toBeInstanceOf(UnsupportedSchemaVersionError);
    const e = error as UnsupportedSchemaVersionError;
    expect(e.found).toBe(2);
    expect(e.supported).toBe(1);
    expect(e.code).toBe("invalid");
    expect(e.details).toEqual({ found: 2, supported: 1 });
  });

  it.each([-1, 0.5, 1.5, Number.NaN, "1", null, Number.POSITIVE_INFINITY])(
    "rejects schemaVersion %j with StateValidationError",
    (schemaVersion) => {
      const error = thrown(() => loadDashboardState({ ...makeDashboardState(), schemaVersion }));
      expect(error).toBeInstanceOf(StateValidationError);
      expect((error as StateValidationError).issues[0]?.path).toBe("/schemaVersion");
    },
  );

  it.each([null, [], "state", 3])("rejects a stored document that is not an object (%j)", (stored) => {
    expect(thrown(() => loadDashboardState(stored))).toBeInstanceOf(StateValidationError);
  });
});

describe("DASHBOARD_MIGRATIONS", () => {
  // The guard against bumping CURRENT_SCHEMA_VERSION without writing the migration for it.
  it("has exactly one step from each version in [oldest, CURRENT_SCHEMA_VERSION)", () => {
    expect(dashboardMigrations.current).toBe(CURRENT_SCHEMA_VERSION);
    for (let v = dashboardMigrations.oldest; v < CURRENT_SCHEMA_VERSION; v++) {
      expect(DASHBOARD_MIGRATIONS.filter((m) => m.from === v)).toHaveLength(1);
    }
    expect(DASHBOARD_MIGRATIONS).toHaveLength(CURRENT_SCHEMA_VERSION - dashboardMigrations.oldest);
    for (const step of DASHBOARD_MIGRATIONS) expect(step.description.length).toBeGreaterThan(0);
  });
});

describe("createMigrationRegistry", () => {
  const step = (from: number): Migration => ({
    from,
    description: `v${from} → v${from + 1}`,
    migrate: (doc) => ({ ...doc, v: from + 1, trail: [...((doc.trail as number[]) ?? []), from] }),
  });
  const versionOf = (doc: JsonObject) => (doc.v === undefined ? 0 : (doc.v as number));

  it("throws when a step is missing (current 3, steps only from 0 and 2)", () => {
    expect(() =>
      createMigrationRegistry({ current: 3, oldest: 0, migrations: [step(0), step(2)], versionOf }),
    ).toThrow("no migration from schemaVersion 1 to 2");
  });

  it("throws when a step is doubled", () => {
    expect(() =>
      createMigrationRegistry({ current: 2, oldest: 0, migrations: [step(0), step(1), step(1)], versionOf }),
    ).toThrow("two migrations start at schemaVersion 1");
  });

  it("throws when a step lies outside [oldest, current)", () => {
    expect(() =>
      createMigrationRegistry({ current: 2, oldest: 0, migrations: [step(0), step(1), step(2)], versionOf }),
    ).toThrow("outside");
  });

  it("runs every step in order from the document's version", () => {
    const registry = createMigrationRegistry({
      current: 3,
      oldest: 0,
      migrations: [step(2), step(0), step(1)],
      versionOf,
    });
    expect(registry.migrate({})).toEqual({ document: { v: 3, trail: [0, 1, 2] }, from: 0 });
    expect(registry.migrate({ v: 2 })).toEqual({ document: { v: 3, trail: [2] }, from: 2 });
    expect(registry.migrate({ v: 3, keep: true })).toEqual({ document: { v: 3, keep: true }, from: 3 });
    expect(thrown(() => registry.migrate({ v: 4 }))).toBeInstanceOf(UnsupportedSchemaVersionError);
  });

  it("refuses versions below oldest", () => {
    const registry = createMigrationRegistry({ current: 3, oldest: 2, migrations: [step(2)], versionOf });
    expect(thrown(() => registry.migrate({ v: 1 }))).toBeInstanceOf(StateValidationError);
  });
});
