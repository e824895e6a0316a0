import { StateValidationError, UnsupportedSchemaVersionError } from "../errors/index.js";

export type JsonObject = Record<string, unknown>;

/** One step of the chain: turns a document of `from` into one of `from + 1`. Pure, no I/O. */
export interface Migration {
  readonly from: number;
  readonly description: string;
  migrate(document: JsonObject): JsonObject;
}

export interface MigrationRegistry {
  readonly current: number;
  readonly oldest: number;
  /** Runs every step from the document's version up to `current`. */
  migrate(document: unknown): { document: JsonObject; from: number };
}

/**
 * Builds the ordered chain and refuses to exist when a step is missing or doubled: a schemaVersion bump
 * without its migration fails at import time (and so in every test), not on a user's machine.
 */
export function createMigrationRegistry(options: {
  current: number;
  oldest: number;
  migrations: readonly Migration[];
  /** Reads the version of a stored document (documents older than the field may lack it). */
  versionOf: (document: JsonObject) => number;
}): MigrationRegistry {
  const { current, oldest, migrations, versionOf } = options;
  const byFrom = new Map<number, Migration>();
  for (const step of migrations) {
    if (byFrom.has(step.from)) throw new Error(`two migrations start at schemaVersion ${step.from}`);
    byFrom.set(step.from, step);
  }
  for (let v = oldest; v < current; v++) {
    if (!byFrom.has(v)) throw new Error(`no migration from schemaVersion ${v} to ${v + 1}`);
  }
  for (const from of byFrom.keys()) {
    if (from < oldest || from >= current)
      throw new Error(`migration from ${from} is outside ${oldest}..${current - 1}`);
  }

  return {
    current,
    oldest,
    migrate(input) {
      if (typeof input !== "object" || input === null || Array.isArray(input)) {
        throw new StateValidationError([{ path: "", message: "a stored document must be an object" }]);
      }
      let document = input as JsonObject;
      const from = versionOf(document);
      if (!Number.isInteger(from) || from < oldest) {
        throw new StateValidationError([
          { path: "/schemaVersion", message: `unknown schemaVersion ${String(from)}` },
        ]);
      }
      if (from > current) throw new UnsupportedSchemaVersionError(from, current);
      for (let v = from; v < current; v++) document = byFrom.get(v)!.migrate(document);
      return { document, from };
    },
  };
}
