import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  CONFIG_OPTIONS,
  ConfigError,
  ConfigSchema,
  type ConfigSources,
  loadConfig,
  renderConfigTable,
} from "./config.js";

const dir = mkdtempSync(join(tmpdir(), "agentboard-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function writeConfig(content: unknown): string {
  const path = join(dir, `config-${files++}.json`);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

const KEY_A = "a".repeat(16);
const KEY_B = "b".repeat(24);

/** Every test passes its own env so the developer's shell never leaks in. */
function load(sources: ConfigSources = {}) {
  return loadConfig({ env: {}, cwd: dir, ...sources });
}

/** Runs loadConfig, expecting a ConfigError, and checks the properties every config error must have. */
function configError(sources: ConfigSources): ConfigError {
  let caught: unknown;
  try {
    load(sources);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const error = caught as ConfigError;
  expect(error.code).toBe("config_invalid");
  expect(error.message).not.toMatch(/[\r\n]/);
  expect(error.message).toContain(error.option);
  return error;
}

describe("loadConfig", () => {
  it("returns every default when nothing is set", () => {
    // toMatchObject: options added later bring their own default tests; these must not change silently.
    expect(loadConfig({ env: {}, cwd: "/srv/board" })).toMatchObject({
      port: 7800,
      host: "127.0.0.1",
      dataDir: "/srv/board/.agentboard",
      nodeEnv: "development",
      stateTtlDays: 30,
      patchLogLimit: 1000,
      metricsKeys: [],
      metricsPublic: false,
      bodyLimitBytes: 1_048_576,
      maxJsonDepth: 64,
      rateLimitPerMinute: 1200,
      logLevel: "info",
      allowedOrigins: [],
      demo: false,
      redisPrefix: "agentboard:",
      mode: "embedded",
      warnings: [],
    });
  });

  it("applies defaults < file < env < flags", () => {
    const file = writeConfig({ port: 1001, host: "127.0.0.2", logLevel: "debug" });
    const env = { AGENTBOARD_PORT: "1002", AGENTBOARD_HOST: "127.0.0.3" };
    const config = load({ file, env, flags: { port: "1003" } });
    expect(config.port).toBe(1003);
    expect(config.host).toBe("127.0.0.3");
    expect(config.logLevel).toBe("debug");
    expect(config.stateTtlDays).toBe(30);
    expect(load({ file, env }).port).toBe(1002);
    expect(load({ file }).port).toBe(1001);
  });

  it("treats an empty env var as unset and ignores flags of other commands", () => {
    const config = load({ env: { AGENTBOARD_PORT: "" }, flags: { timeout: "60", port: undefined } });
    expect(config.port).toBe(7800);
  });

  it.each(["0", "366", "abc", "1.5", "-1", "30days"])("rejects AGENTBOARD_STATE_TTL_DAYS=%j", (value) => {
    const error = configError({ env: { AGENTBOARD_STATE_TTL_DAYS: value } });
    expect(error.option).toBe("AGENTBOARD_STATE_TTL_DAYS");
    expect(error.message).toBe(
      `AGENTBOARD_STATE_TTL_DAYS must be an integer from 1 to 365 (got ${JSON.stringify(value)})`,
    );
  });

  it("accepts the TTL bounds", () => {
    expect(load({ env: { AGENTBOARD_STATE_TTL_DAYS: "1" } }).stateTtlDays).toBe(1);
    expect(load({ env: { AGENTBOARD_STATE_TTL_DAYS: "365" } }).stateTtlDays).toBe(365);
  });

  it("names the flag when a flag is wrong", () => {
    const error = configError({ flags: { port: "70000" } });
    expect(error.option).toBe("--port");
    expect(error.message).toBe('--port must be an integer from 0 to 65535 (got "70000")');
  });

  it("names the key and the file when a file value is wrong", () => {
    const file = writeConfig({ stateTtlDays: 0 });
    const error = configError({ file });
    expect(error.message).toBe(`stateTtlDays in ${file} must be an integer from 1 to 365 (got 0)`);
  });

  it("still rejects a bad value that a higher-precedence source overrides", () => {
    const error = configError({ env: { AGENTBOARD_PORT: "eighty" }, flags: { port: "8080" } });
    expect(error.option).toBe("AGENTBOARD_PORT");
  });

  it("rejects an unknown key in the file and suggests the likely one", () => {
    const file = writeConfig({ prot: 8080 });
    const error = configError({ file });
    expect(error.message).toContain(`unknown setting prot in ${file}`);
    expect(error.message).toContain('did you mean "port"?');
  });

  it("names the file when it is missing or not JSON", () => {
    const missing = join(dir, "missing.json");
    expect(configError({ flags: { config: missing } }).message).toContain(missing);
    expect(configError({ flags: { config: missing } }).option).toBe("--config");
    const broken = writeConfig('{"port": 1,\n}');
    expect(configError({ env: { AGENTBOARD_CONFIG: broken } }).message).toContain(broken);
    expect(configError({ file: writeConfig([1, 2]) }).message).toContain("JSON object");
  });

  it("finds the file through --config or AGENTBOARD_CONFIG, relative to cwd", () => {
    const file = writeConfig({ port: 1234 });
    const name = file.slice(dir.length + 1);
    expect(load({ flags: { config: name } }).port).toBe(1234);
    expect(load({ env: { AGENTBOARD_CONFIG: file } }).port).toBe(1234);
  });

  it("needs both cluster URLs or neither", () => {
    const redisOnly = configError({ env: { AGENTBOARD_REDIS_URL: "redis://localhost:6379" } });
    expect(redisOnly.message).toBe(
      "AGENTBOARD_REDIS_URL is set but AGENTBOARD_DATABASE_URL is not: cluster mode needs both (or neither for embedded mode)",
    );
    const databaseOnly = configError({ env: { AGENTBOARD_DATABASE_URL: "postgres://db/agentboard" } });
    expect(databaseOnly.message).toMatch(/^AGENTBOARD_DATABASE_URL is set but AGENTBOARD_REDIS_URL is not/);
    const both = load({
      env: { AGENTBOARD_REDIS_URL: "rediss://cache:6380", AGENTBOARD_DATABASE_URL: "postgresql://db/x" },
    });
    expect(both.mode).toBe("cluster");
  });

  it("does not echo the password of a mistyped connection URL", () => {
    const error = configError({ env: { AGENTBOARD_DATABASE_URL: "mysql://admin:hunter2@db/x" } });
    expect(error.message).toContain("postgres://");
    expect(error.message).not.toContain("hunter2");
  });

  it("refuses a public /metrics without a key in production, warns in development", () => {
    const env = { NODE_ENV: "production", AGENTBOARD_METRICS_PUBLIC: "true" };
    const error = configError({ env });
    expect(error.message).toContain("refusing to expose /metrics without a key in production");
    expect(load({ env: { ...env, AGENTBOARD_METRICS_KEYS: KEY_A } }).metricsPublic).toBe(true);
    const development = load({ env: { AGENTBOARD_METRICS_PUBLIC: "yes" } });
    expect(development.warnings).toEqual([expect.stringContaining("AGENTBOARD_METRICS_KEYS is empty")]);
  });

  it("refuses a non-loopback host without a public URL in production", () => {
    const env = { NODE_ENV: "production", AGENTBOARD_HOST: "0.0.0.0" };
    expect(configError({ env }).option).toBe("AGENTBOARD_HOST");
    const config = load({ env: { ...env, AGENTBOARD_PUBLIC_URL: "https://board.example.com" } });
    expect(config.publicUrl).toBe("https://board.example.com");
    expect(load({ env: { NODE_ENV: "production", AGENTBOARD_HOST: "::1" } }).host).toBe("::1");
  });

  it("rejects a short metrics key without printing it", () => {
    const error = configError({ env: { AGENTBOARD_METRICS_KEYS: `${KEY_A},tooshort` } });
    expect(error.message).toContain("at least 16 characters");
    expect(error.message).toContain("a key of 8 characters");
    expect(error.message).not.toContain("tooshort");
  });

  it("parses comma lists: trimmed, empties dropped; arrays in the file", () => {
    const config = load({ env: { AGENTBOARD_METRICS_KEYS: ` ${KEY_A} ,, ${KEY_B},` } });
    expect(config.metricsKeys).toEqual([KEY_A, KEY_B]);
    expect(load({ file: writeConfig({ metricsKeys: [KEY_B] }) }).metricsKeys).toEqual([KEY_B]);
    const origins = load({
      env: { AGENTBOARD_ALLOWED_ORIGINS: "https://A.example.com/, http://b.test:8080" },
    });
    expect(origins.allowedOrigins).toEqual(["https://a.example.com", "http://b.test:8080"]);
    expect(configError({ env: { AGENTBOARD_ALLOWED_ORIGINS: "https://a.example.com/app" } }).option).toBe(
      "AGENTBOARD_ALLOWED_ORIGINS",
    );
  });

  it("parses booleans and rejects anything else", () => {
    expect(load({ env: { AGENTBOARD_DEMO: "YES" } }).demo).toBe(true);
    expect(load({ env: { AGENTBOARD_DEMO: "1" } }).demo).toBe(true);
    expect(load({ env: { AGENTBOARD_DEMO: "1" }, flags: { demo: false } }).demo).toBe(false);
    expect(load({ flags: { demo: true } }).demo).toBe(true);
    expect(configError({ env: { AGENTBOARD_DEMO: "maybe" } }).message).toContain(
      "1, true, yes, 0, false or no",
    );
  });

  it("rejects an unknown NODE_ENV rather than running a typo'd production as development", () => {
    expect(configError({ env: { NODE_ENV: "prod" } }).message).toContain("development, production, test");
  });

  it("resolves dataDir against cwd", () => {
    expect(loadConfig({ env: {}, cwd: "/srv/board", flags: { dataDir: "data/../state" } }).dataDir).toBe(
      "/srv/board/state",
    );
    expect(loadConfig({ env: { AGENTBOARD_DATA_DIR: "/var/lib/agentboard" }, cwd: "/srv" }).dataDir).toBe(
      "/var/lib/agentboard",
    );
  });

  it("warns about unknown AGENTBOARD_* variables instead of failing", () => {
    const config = load({ env: { AGENTBOARD_PROT: "8080", AGENTBOARD_TOKEN: "abt_x", PATH: "/usr/bin" } });
    expect(config.port).toBe(7800);
    expect(config.warnings).toEqual([
      "unknown setting AGENTBOARD_PROT ignored (did you mean AGENTBOARD_PORT?)",
    ]);
  });

  it("returns a config that ConfigSchema accepts unchanged", () => {
    const config = load({ env: { AGENTBOARD_ALLOWED_ORIGINS: "https://a.example.com" } });
    expect(ConfigSchema.parse(config)).toEqual(config);
  });
});

describe("CONFIG_OPTIONS and renderConfigTable", () => {
  it("documents every option: a new option fails here until it has docs", () => {
    const table = renderConfigTable();
    for (const option of CONFIG_OPTIONS) {
      expect(table).toContain(`\`${option.env}\``);
      if (option.flag) expect(table).toContain(`\`${option.flag}\``);
      expect(option.description).not.toBe("");
      expect(option.allowed).not.toBe("");
      expect(option.default).not.toBe("");
    }
    const settable = Object.keys(ConfigSchema.shape).filter((key) => key !== "mode" && key !== "warnings");
    expect(CONFIG_OPTIONS.map((option) => option.key).sort()).toEqual(settable.sort());
    expect(table).toContain("`AGENTBOARD_CONFIG`");
  });

  it("renders one row per option with six columns", () => {
    const lines = renderConfigTable().split("\n");
    expect(lines[0]).toBe("| option | env var | flag | default | allowed | what it does |");
    expect(lines).toHaveLength(CONFIG_OPTIONS.length + 3);
    for (const line of lines) expect(line.split(/(?<!\\)\|/)).toHaveLength(8);
  });
});
