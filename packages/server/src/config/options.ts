import { ApprovalTypeSchema } from "@agentboard/protocol";
import { z } from "zod";
import {
  boolean,
  integer,
  list,
  metricsKeyList,
  type OptionKind,
  oneOf,
  originList,
  text,
  url,
} from "./kinds.js";
import { mcpServerMap } from "./mcp-servers.js";

/** One row of the configuration table: what --help and the README show. */
export interface ConfigOptionDoc {
  /** camelCase name: the key in the resolved config, in the JSON config file and in commander's flags. */
  readonly key: string;
  readonly env: string;
  readonly flag?: string;
  /** The default as shown in docs. */
  readonly default: string;
  /** Completes "must be …"; the same words the error line uses. */
  readonly allowed: string;
  readonly description: string;
  readonly secret: boolean;
}

interface OptionSpec extends OptionKind {
  readonly env: string;
  readonly flag?: string;
  readonly description: string;
}

/**
 * Every server setting, once. Parsing, error lines, the resolved type and the docs table are all generated
 * from this table, so adding a row here is the whole job of adding an option.
 */
export const OPTIONS = {
  port: {
    env: "AGENTBOARD_PORT",
    flag: "--port",
    description: "TCP port to listen on; 0 picks a free port (tests)",
    ...integer(0, 65535, 7800),
  },
  host: {
    env: "AGENTBOARD_HOST",
    flag: "--host",
    description: "interface to listen on",
    ...text("127.0.0.1"),
  },
  dataDir: {
    env: "AGENTBOARD_DATA_DIR",
    flag: "--data-dir",
    description: "directory of the embedded store; relative paths resolve against the working directory",
    ...text("./.agentboard", "a directory path"),
  },
  nodeEnv: {
    env: "NODE_ENV",
    description: "production turns insecure settings into start errors",
    ...oneOf(["development", "production", "test"], "development"),
  },
  stateTtlDays: {
    env: "AGENTBOARD_STATE_TTL_DAYS",
    description: "dashboard documents untouched this long may be dropped",
    ...integer(1, 365, 30),
  },
  patchLogLimit: {
    env: "AGENTBOARD_PATCH_LOG_LIMIT",
    description: "patches kept per dashboard for catch-up and rebase",
    ...integer(10, 100_000, 1000),
  },
  dashboardSync: {
    env: "AGENTBOARD_DASHBOARD_SYNC",
    description:
      "embedded mode: `normal` commits dashboard edits to the WAL without an fsync each (survives a crash of the process; an OS crash or power loss can lose the last moments of edits), `full` fsyncs every edit; approvals, audit and tokens always fsync",
    ...oneOf(["normal", "full"], "normal"),
  },
  metricsKeys: {
    env: "AGENTBOARD_METRICS_KEYS",
    description: "keys accepted by /metrics; two can overlap during rotation",
    secret: true,
    ...metricsKeyList(),
  },
  metricsPublic: {
    env: "AGENTBOARD_METRICS_PUBLIC",
    description: "serve /metrics; in production this requires a metrics key",
    ...boolean(false),
  },
  bodyLimitBytes: {
    env: "AGENTBOARD_BODY_LIMIT_BYTES",
    description: "largest accepted request body",
    ...integer(1024, 16_777_216, 1_048_576),
  },
  maxJsonDepth: {
    env: "AGENTBOARD_MAX_JSON_DEPTH",
    description: "deepest accepted JSON nesting, checked before parsing work",
    ...integer(4, 256, 64),
  },
  rateLimitPerMinute: {
    env: "AGENTBOARD_RATE_LIMIT_PER_MINUTE",
    description: "requests per minute per principal (per IP when anonymous)",
    ...integer(1, 1_000_000, 1200),
  },
  logLevel: {
    env: "AGENTBOARD_LOG_LEVEL",
    description: "pino log level",
    ...oneOf(["fatal", "error", "warn", "info", "debug", "trace", "silent"], "info"),
  },
  publicUrl: {
    env: "AGENTBOARD_PUBLIC_URL",
    description: "URL browsers use; printed in the login URL and accepted as browser Origin",
    ...url(["http:", "https:"], { defaultText: "http://HOST:PORT" }),
  },
  allowedOrigins: {
    env: "AGENTBOARD_ALLOWED_ORIGINS",
    description:
      "further browser Origins trusted besides the public URL: cookie-authenticated writes, /mcp, and CORS for front-ends served there",
    ...originList(),
  },
  demo: {
    env: "AGENTBOARD_DEMO",
    flag: "--demo",
    description: "run the demo agents that fill a dashboard and ask for an approval",
    ...boolean(false),
  },
  wsHeartbeatMs: {
    env: "AGENTBOARD_WS_HEARTBEAT_MS",
    description: "WebSocket ping interval; a connection without a pong for one interval is closed",
    ...integer(1_000, 600_000, 30_000),
  },
  wsMaxBufferedBytes: {
    env: "AGENTBOARD_WS_MAX_BUFFERED_BYTES",
    description: "send buffer per WebSocket; a subscriber over it is dropped and told to resync",
    ...integer(65_536, 268_435_456, 4_194_304),
  },
  wsMessagesPerSecond: {
    env: "AGENTBOARD_WS_MESSAGES_PER_SECOND",
    description: "frames per second one WebSocket may send (bursts of twice that are absorbed)",
    ...integer(1, 100_000, 100),
  },
  refreshTimeoutMs: {
    env: "AGENTBOARD_REFRESH_TIMEOUT_MS",
    description: "a widget refresh nobody answers within this time ends as a retryable error",
    ...integer(1_000, 600_000, 30_000),
  },
  sourceMaxBytes: {
    env: "AGENTBOARD_SOURCE_MAX_BYTES",
    description:
      "largest data (JSON bytes) a widget's bound source may return; a larger answer is a retryable error",
    ...integer(1_024, 16_777_216, 262_144),
  },
  agentProbeIntervalMs: {
    env: "AGENTBOARD_AGENT_PROBE_INTERVAL_MS",
    description: "mean time between health sweeps of the remote A2A agents (jittered ±20 %)",
    ...integer(1_000, 3_600_000, 30_000),
  },
  agentProbeTimeoutMs: {
    env: "AGENTBOARD_AGENT_PROBE_TIMEOUT_MS",
    description: "a remote agent's card fetch (registration or health probe) gives up after this",
    ...integer(100, 60_000, 5_000),
  },
  agentsAllowPrivateNetwork: {
    env: "AGENTBOARD_AGENTS_ALLOW_PRIVATE_NETWORK",
    description: "let agent card URLs reach loopback and private networks (cloud metadata stays blocked)",
    ...boolean(false),
  },
  approvalAutoThreshold: {
    env: "AGENTBOARD_APPROVAL_AUTO_THRESHOLD",
    description:
      "approvals of a type in `approvalAutoTypes` with confidence at or above this are auto-approved; 101 turns that off",
    ...integer(1, 101, 85),
  },
  approvalQuickThreshold: {
    env: "AGENTBOARD_APPROVAL_QUICK_THRESHOLD",
    description: "confidence at or above this (below auto) routes to quick review; at most the auto one",
    ...integer(0, 100, 60),
  },
  approvalAlwaysReview: {
    env: "AGENTBOARD_APPROVAL_ALWAYS_REVIEW",
    description: "approval types that always get a full review, whatever the confidence",
    ...list(ApprovalTypeSchema, "a comma-separated list of approval types (lowercase slugs)"),
  },
  approvalAutoTypes: {
    env: "AGENTBOARD_APPROVAL_AUTO_TYPES",
    description:
      "the only approval types that may be auto-approved (confidence at or above the auto threshold); every other type is reviewed by a human whatever the confidence",
    ...list(ApprovalTypeSchema, "a comma-separated list of approval types (lowercase slugs)"),
  },
  approvalDefaultExpirySec: {
    env: "AGENTBOARD_APPROVAL_DEFAULT_EXPIRY_SEC",
    description: "expiry of approval requests that set none; 0 = they wait until decided or cancelled",
    ...integer(0, 2_592_000, 0),
  },
  approvalOnTimeout: {
    env: "AGENTBOARD_APPROVAL_ON_TIMEOUT",
    description: "what a timed-out request becomes unless it says: `expired`, or `rejected` (timed out)",
    ...oneOf(["expire", "reject"], "expire"),
  },
  redisUrl: {
    env: "AGENTBOARD_REDIS_URL",
    description: "cluster mode: Redis for fan-out (needs AGENTBOARD_DATABASE_URL too)",
    ...url(["redis:", "rediss:"], { secret: true }),
  },
  databaseUrl: {
    env: "AGENTBOARD_DATABASE_URL",
    description: "cluster mode: PostgreSQL store (needs AGENTBOARD_REDIS_URL too)",
    ...url(["postgres:", "postgresql:"], { secret: true }),
  },
  nodeUrl: {
    env: "AGENTBOARD_NODE_URL",
    description:
      "cluster mode: the URL other nodes reach this node at; a 2025-era MCP session request that lands on another node is forwarded here",
    ...url(["http:", "https:"], {
      defaultText: "http://HOST:PORT (HOST 0.0.0.0 or ::: this machine's first non-loopback IPv4 address)",
    }),
  },
  redisPrefix: {
    env: "AGENTBOARD_REDIS_PREFIX",
    description: "namespaces every Redis key and channel so deployments can share one Redis",
    ...text("agentboard:"),
  },
  mcpServers: {
    env: "AGENTBOARD_MCP_SERVERS",
    description:
      "upstream MCP servers the gateway fronts (see docs/mcp.md); usually in the config file. A bad entry is reported in one line at start and skipped; the others start",
    ...mcpServerMap(),
  },
} satisfies Record<string, OptionSpec>;

export type OptionKey = keyof typeof OPTIONS;

/** The table as plain rows, for loops that do not care about each option's value type. */
export const OPTION_SPECS = Object.entries(OPTIONS as Record<string, OptionSpec>) as [
  OptionKey,
  OptionSpec,
][];

type Shape<T extends Record<string, OptionSpec>> = { -readonly [K in keyof T]: T[K]["schema"] };

function shapeOf<T extends Record<string, OptionSpec>>(specs: T): Shape<T> {
  return Object.fromEntries(Object.entries(specs).map(([key, spec]) => [key, spec.schema])) as Shape<T>;
}

/**
 * The resolved configuration. Parsing `{}` yields every default (with `dataDir` still relative: only
 * `loadConfig` knows the working directory); parsing a resolved config returns it unchanged.
 */
export const ConfigSchema = z.object({
  ...shapeOf(OPTIONS),
  /** Derived: both cluster URLs set means "cluster", neither means "embedded" (SQLite in dataDir). */
  mode: z.enum(["embedded", "cluster"]).default("embedded"),
  /** Non-fatal findings (unknown AGENTBOARD_* variables, development-only leniency) for the CLI to log. */
  warnings: z.array(z.string()).default(() => []),
});

export type Config = z.infer<typeof ConfigSchema>;

export const CONFIG_OPTIONS: readonly ConfigOptionDoc[] = Object.freeze(
  OPTION_SPECS.map(([key, spec]) => ({
    key,
    env: spec.env,
    ...(spec.flag ? { flag: spec.flag } : {}),
    default: spec.defaultText,
    allowed: spec.allowed,
    description: spec.description,
    secret: spec.secret ?? false,
  })),
);

/** The config file is not a setting of its own, but users look for it in the same table. */
export const CONFIG_FILE_ENV = "AGENTBOARD_CONFIG";
const CONFIG_FILE_ROW: ConfigOptionDoc = {
  key: "(config file)",
  env: CONFIG_FILE_ENV,
  flag: "--config",
  default: "none",
  allowed: "a JSON file whose keys are the option names above",
  description: "read settings from a file; env vars and flags override it",
  secret: false,
};

const cell = (value: string) => value.replaceAll("|", "\\|");
const codeCell = (value: string | undefined) => (value ? `\`${value}\`` : "—");

/** Markdown table for the README; precedence is defaults < file < env < flags. */
export function renderConfigTable(): string {
  const rows = [...CONFIG_OPTIONS, CONFIG_FILE_ROW].map((doc) =>
    [
      doc.key.startsWith("(") ? doc.key : codeCell(doc.key),
      codeCell(doc.env),
      codeCell(doc.flag),
      doc.default,
      doc.allowed,
      doc.description,
    ].map(cell),
  );
  const header = ["option", "env var", "flag", "default", "allowed", "what it does"];
  return [header, header.map(() => "---"), ...rows].map((row) => `| ${row.join(" | ")} |`).join("\n");
}
