import {
  CURRENT_SCHEMA_VERSION,
  type DashboardState,
  validateDashboardState,
} from "../dashboard/dashboard-state.js";
import { createMigrationRegistry, type JsonObject, type Migration } from "./migration-registry.js";

/**
 * v0 is the shape the first prototype cached in browsers: no `schemaVersion`, widgets as an array with their
 * grid position inline (`{id, type, title, props, x, y, w, h}`), and a top-level `theme`. v1 splits position
 * into `layout.items` and keys widgets by id.
 */
const v0ToV1: Migration = {
  from: 0,
  description: "widgets array with inline grid position → widgets map + layout.items",
  migrate(document) {
    const list = Array.isArray(document.widgets) ? (document.widgets as JsonObject[]) : [];
    const widgets: JsonObject = {};
    const items: JsonObject[] = [];
    for (const old of list) {
      if (typeof old !== "object" || old === null || typeof old.id !== "string") continue;
      const { x, y, w, h, ...rest } = old;
      widgets[old.id] = {
        status: "ready",
        updatedAt: typeof document.savedAt === "string" ? document.savedAt : "1970-01-01T00:00:00.000Z",
        updatedBy: "migration:v0",
        ...rest,
      };
      items.push({ widgetId: old.id, x: x ?? 0, y: y ?? 0, w: w ?? 4, h: h ?? 3 });
    }
    const theme = document.theme;
    return {
      schemaVersion: 1,
      layout: { columns: 12, items },
      widgets,
      preferences: theme === "light" || theme === "dark" || theme === "system" ? { theme } : {},
    };
  },
};

export const DASHBOARD_MIGRATIONS: readonly Migration[] = [v0ToV1];

export const dashboardMigrations = createMigrationRegistry({
  current: CURRENT_SCHEMA_VERSION,
  oldest: 0,
  migrations: DASHBOARD_MIGRATIONS,
  versionOf: (document) => (document.schemaVersion === undefined ? 0 : (document.schemaVersion as number)),
});

/**
 * The load path for every stored or cached dashboard state: migrate to the current schemaVersion, then
 * validate. A newer version throws UnsupportedSchemaVersionError; nothing is ever silently reset.
 */
export function loadDashboardState(stored: unknown): { state: DashboardState; migratedFrom: number } {
  const { document, from } = dashboardMigrations.migrate(stored);
  return { state: validateDashboardState(document), migratedFrom: from };
}
