import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError } from "./error.js";

export interface ConfigFile {
  /** Absolute path, used in every error about the file or one of its keys. */
  readonly path: string;
  readonly values: Record<string, unknown>;
}

/** Lets an editor attach a JSON schema to the file without tripping the unknown-key check. */
const EDITOR_KEYS = new Set(["$schema"]);

/**
 * Reads the JSON config file. `from` is how the user named it (`--config`, `AGENTBOARD_CONFIG`), so a
 * wrong path is reported against the setting that carried it.
 */
export function readConfigFile(
  file: string,
  from: string,
  cwd: string,
  knownKeys: readonly string[],
): ConfigFile {
  const path = resolve(cwd, file);
  const named = `${from === "config file" ? "config" : from} file "${path}"`;
  let source: string;
  try {
    source = readFileSync(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(from, `${named} cannot be read (${reason})`);
  }
  let parsed: unknown;
  try {
    // Editors on Windows like to save a BOM, which JSON.parse rejects.
    parsed = JSON.parse(source.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new ConfigError(from, `${named} is not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(from, `${named} must hold a JSON object of settings`);
  }
  const values: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (EDITOR_KEYS.has(key)) continue;
    // A misspelt key would otherwise be silently ignored and its default used instead.
    if (!knownKeys.includes(key)) {
      const hint = closest(key, knownKeys);
      throw new ConfigError(
        `${key} in ${path}`,
        `unknown setting ${key} in ${path}${hint ? ` (did you mean "${hint}"?)` : ""}; ` +
          `allowed keys: ${knownKeys.join(", ")}`,
      );
    }
    values[key] = value;
  }
  return { path, values };
}

/** The candidate a typo most likely meant, by case-insensitive edit distance; undefined if none is close. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = 3; // more edits than this is a different word, not a typo
  for (const candidate of candidates) {
    const d = distance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance with one rolling row. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
