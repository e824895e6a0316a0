import { resolve } from "node:path";
import { ConfigError } from "./config/error.js";
import { closest, readConfigFile } from "./config/file.js";
import { showValue } from "./config/kinds.js";
import {
  CONFIG_FILE_ENV,
  type Config,
  ConfigSchema,
  OPTION_SPECS,
  OPTIONS,
  type OptionKey,
} from "./config/options.js";

export { ConfigError } from "./config/error.js";
export {
  CONFIG_OPTIONS,
  type Config,
  type ConfigOptionDoc,
  ConfigSchema,
  renderConfigTable,
} from "./config/options.js";

export interface ConfigSources {
  /**
   * CLI flags as parsed by commander, camelCase keys (port, host, dataDir, demo, config). Give commander
   * no defaults for these: a default would count as a flag and override the file and env.
   */
  flags?: Record<string, unknown>;
  /** Defaults to process.env. */
  env?: Record<string, string | undefined>;
  /** Path of a JSON config file; otherwise `flags.config`, then AGENTBOARD_CONFIG. */
  file?: string;
  /** Resolves a relative dataDir and config file path; defaults to process.cwd(). */
  cwd?: string;
}

/** A value one source supplied for one option, with the name the user wrote it under. */
interface Supplied {
  readonly raw: unknown;
  readonly label: string;
}

const OPTION_KEYS = OPTION_SPECS.map(([key]) => key);
// The CLI's agent-side commands (agent, mcp) and the demo agents read these from the same environment; they are
// not server options, but a shell that exports them for those commands must not see start warn about them.
const CLIENT_ENV = ["AGENTBOARD_TOKEN", "AGENTBOARD_URL", "AGENTBOARD_DASHBOARD", "AGENTBOARD_DEV_SERVER"];
const KNOWN_ENV = new Set([...OPTION_SPECS.map(([, spec]) => spec.env), CONFIG_FILE_ENV, ...CLIENT_ENV]);
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\]|::ffff:127(\.\d{1,3}){3})$/i;

/**
 * Resolves the server configuration: defaults < file < env < flags. Throws ConfigError (one line naming the
 * setting and what is allowed) for any invalid value, even one a higher-precedence source overrides: a
 * broken setting left in a file or env is a mistake waiting for the override to go away.
 */
export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const flags = sources.flags ?? {};
  const cwd = resolve(sources.cwd ?? process.cwd());
  const warnings: string[] = [];
  const file = locateConfigFile(sources, flags, env);
  const fromFile = file ? readConfigFile(file.path, file.from, cwd, OPTION_KEYS) : undefined;

  const values: Record<string, unknown> = {};
  const labels: Partial<Record<OptionKey, string>> = {};
  for (const [key, spec] of OPTION_SPECS) {
    const supplied: Supplied[] = [];
    if (fromFile && fromFile.values[key] !== undefined) {
      supplied.push({ raw: fromFile.values[key], label: `${key} in ${fromFile.path}` });
    }
    // An empty variable counts as unset: compose files and CI templates often export NAME= for "no value".
    const fromEnv = env[spec.env];
    if (fromEnv !== undefined && fromEnv.trim() !== "") supplied.push({ raw: fromEnv, label: spec.env });
    if (spec.flag && flags[key] !== undefined) supplied.push({ raw: flags[key], label: spec.flag });

    for (const { raw, label } of supplied) {
      const result = spec.schema.safeParse(raw);
      if (!result.success) {
        const shown = spec.show ? spec.show(raw) : spec.secret ? "a value that is not shown" : showValue(raw);
        throw new ConfigError(label, `${label} must be ${spec.allowed} (got ${shown})`);
      }
      values[key] = result.data;
      labels[key] = label;
    }
  }
  const config = ConfigSchema.parse(values);
  config.dataDir = resolve(cwd, config.dataDir);

  const label = (key: OptionKey) => labels[key] ?? OPTIONS[key].env;
  config.mode = clusterMode(config, label);
  const production = config.nodeEnv === "production";

  // Contract: /metrics without a key is 404 in production. Asking for it public with no key means the
  // operator expects scraping to work, so say so at start instead of serving 404s to Prometheus.
  if (config.metricsPublic && config.metricsKeys.length === 0) {
    const problem = `${label("metricsPublic")} is set but AGENTBOARD_METRICS_KEYS is empty`;
    if (production) {
      throw new ConfigError(
        label("metricsPublic"),
        `${problem}: refusing to expose /metrics without a key in production (set at least one key of 16+ characters)`,
      );
    }
    warnings.push(`${problem}: /metrics is open to anyone (a start error in production)`);
  }

  // Browser Origins are checked against publicUrl. Off loopback we cannot guess the name browsers use,
  // and guessing wrong in production either locks users out or, worse, trusts the wrong origin.
  if (!LOOPBACK.test(config.host) && config.publicUrl === undefined) {
    const problem = `${label("host")} is "${config.host}" (not loopback) but AGENTBOARD_PUBLIC_URL is not set`;
    if (production) {
      throw new ConfigError(
        label("host"),
        `${problem}: production needs the public URL to check browser Origins`,
      );
    }
    warnings.push(`${problem}: set it so browser Origins can be checked (a start error in production)`);
  }

  // One broken upstream MCP server must not keep the others (or agentboard) from starting: one line each.
  for (const entry of config.mcpServers) {
    if (entry.problem)
      warnings.push(`mcpServers.${entry.name} (${label("mcpServers")}) ${entry.problem}; skipped`);
  }

  // Typos in variable names are the common failure; a warning (not an error) keeps unrelated tooling that
  // shares the prefix from stopping the server.
  for (const name of Object.keys(env).sort()) {
    if (!name.startsWith("AGENTBOARD_") || KNOWN_ENV.has(name)) continue;
    const hint = closest(name, KNOWN_ENV);
    warnings.push(`unknown setting ${name} ignored${hint ? ` (did you mean ${hint}?)` : ""}`);
  }
  config.warnings = warnings;
  return config;
}

function locateConfigFile(
  sources: ConfigSources,
  flags: Record<string, unknown>,
  env: Record<string, string | undefined>,
): { path: string; from: string } | undefined {
  if (sources.file !== undefined) return { path: sources.file, from: "config file" };
  if (flags.config !== undefined) {
    if (typeof flags.config !== "string" || flags.config.trim() === "") {
      throw new ConfigError(
        "--config",
        `--config must be a path to a JSON file (got ${showValue(flags.config)})`,
      );
    }
    return { path: flags.config, from: "--config" };
  }
  const fromEnv = env[CONFIG_FILE_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== "") return { path: fromEnv, from: CONFIG_FILE_ENV };
  return undefined;
}

/** Cluster mode needs both stores; one alone is a half-finished migration, not a request for embedded mode. */
function clusterMode(config: Config, label: (key: OptionKey) => string): Config["mode"] {
  const hasRedis = config.redisUrl !== undefined;
  const hasDatabase = config.databaseUrl !== undefined;
  if (hasRedis !== hasDatabase) {
    const [set, missing] = hasRedis
      ? [label("redisUrl"), "AGENTBOARD_DATABASE_URL"]
      : [label("databaseUrl"), "AGENTBOARD_REDIS_URL"];
    throw new ConfigError(
      set,
      `${set} is set but ${missing} is not: cluster mode needs both (or neither for embedded mode)`,
    );
  }
  return hasRedis ? "cluster" : "embedded";
}
