import { z } from "zod";
import type { OptionKind } from "./kinds.js";

/**
 * `mcpServers`: the upstream MCP servers agentboard fronts, in the shape Claude Desktop and Cursor use
 * (`{"<name>": {command, args?, env?} | {url, headers?}}`) plus agentboard's own keys. Each entry is checked
 * on its own: a broken entry becomes one line at start (a warning naming the entry and what is wrong) and
 * an `invalid` row in `GET /api/mcp/servers`, while every other entry starts normally. Only a value that is
 * not an object of entries at all stops the start, like any other bad option.
 */

/** `__` separates server and tool in `<server>__<tool>`, so a server name may not contain it. */
const SERVER_NAME = /^(?!.*__)[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
/** A tool-name pattern: letters, digits, `_ - . /` and `*` wildcards. */
const PATTERN = z
  .string()
  .regex(/^[A-Za-z0-9_.\-/*]{1,128}$/, "a tool-name pattern (letters, digits, _ - . / and *)");
const STRING_MAP = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/), z.string());

const COMMON = {
  /** Tool-name patterns whose calls always wait for a human, destructive or not. */
  requireApproval: z.array(PATTERN).optional(),
  /** Only tools matching one of these are offered (default: all). */
  allow: z.array(PATTERN).optional(),
  /** Tools matching one of these are never offered; wins over `allow`. */
  deny: z.array(PATTERN).optional(),
  /** Results over this many tokens are cut with a marker (default 25,000). */
  tokenBudget: z.number().int().min(100).max(10_000_000).optional(),
  /** How long connecting (start + initialize + tools/list) may take. */
  connectTimeoutMs: z.number().int().min(100).max(600_000).optional(),
  /** How long one tool call may take. */
  callTimeoutMs: z.number().int().min(100).max(3_600_000).optional(),
  /** Keep the entry but do not start it. */
  disabled: z.boolean().optional(),
};

export const StdioServerConfigSchema = z.strictObject({
  type: z.literal("stdio").optional(),
  command: z.string().min(1),
  args: z.array(z.string()).optional(),
  /** The child's whole environment besides PATH/HOME/…: `${VAR}` is read from agentboard's environment. */
  env: STRING_MAP.optional(),
  cwd: z.string().min(1).optional(),
  ...COMMON,
});

export const HttpServerConfigSchema = z.strictObject({
  type: z.enum(["http", "streamable-http", "streamableHttp"]).optional(),
  url: z.string().refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === "http:" || url.protocol === "https:";
    } catch {
      return false;
    }
  }, "an http:// or https:// URL"),
  headers: STRING_MAP.optional(),
  /** Allow loopback and private addresses (a server on this machine or the LAN); metadata stays blocked. */
  allowPrivateNetwork: z.boolean().optional(),
  ...COMMON,
});

export type StdioServerConfig = z.infer<typeof StdioServerConfigSchema>;
export type HttpServerConfig = z.infer<typeof HttpServerConfigSchema>;
export type McpServerConfig = StdioServerConfig | HttpServerConfig;

/** One entry of `mcpServers`, parsed on its own. */
export type McpServerEntry =
  | { name: string; config: McpServerConfig; problem?: undefined }
  | { name: string; config?: undefined; problem: string };

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  if (issue.code === "unrecognized_keys")
    return `${path}unknown key ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  return `${path}${issue.message}`;
}

/** Checks one entry; `problem` is a phrase that completes `mcpServers.<name> …`. */
export function parseServerEntry(name: string, raw: unknown): McpServerEntry {
  if (!SERVER_NAME.test(name)) {
    return {
      name,
      problem:
        'has a bad name: use letters, digits, _ and - (at most 63, no "__", which separates server and tool)',
    };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { name, problem: "must be an object with either command (stdio) or url (HTTP)" };
  }
  const hasCommand = "command" in raw;
  const hasUrl = "url" in raw;
  if (hasCommand === hasUrl) {
    return { name, problem: "needs exactly one of command (a stdio server) or url (an HTTP server)" };
  }
  const result = (hasCommand ? StdioServerConfigSchema : HttpServerConfigSchema).safeParse(raw);
  if (!result.success) {
    return { name, problem: `is invalid: ${result.error.issues.slice(0, 3).map(describeIssue).join("; ")}` };
  }
  return { name, config: result.data };
}

const toObject = (raw: unknown) => {
  if (typeof raw !== "string") return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
};

/** The option kind: a JSON object of entries (the file), or the same JSON as a string (the env var). */
export function mcpServerMap() {
  return {
    schema: z
      .preprocess(toObject, z.record(z.string(), z.unknown()))
      .transform((entries): McpServerEntry[] =>
        Object.entries(entries).map(([name, raw]) => parseServerEntry(name, raw)),
      )
      // A resolved config (entries already parsed) parses to itself.
      .or(z.array(z.custom<McpServerEntry>()))
      .default(() => []),
    allowed: 'a JSON object of servers: {"<name>": {command, args?, env?} or {url, headers?}, …}',
    defaultText: "none",
    // Entries carry env values and headers, which are often secrets.
    secret: true,
  } satisfies OptionKind;
}

/** Replaces `${VAR}` with the variable from `env`; an unset variable is an error naming it. */
export function substituteVariables(
  values: Record<string, string> | undefined,
  env: Record<string, string | undefined>,
): { values: Record<string, string>; missing: string[] } {
  const missing: string[] = [];
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(values ?? {})) {
    out[key] = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const found = env[name];
      if (found === undefined) {
        missing.push(name);
        return "";
      }
      return found;
    });
  }
  return { values: out, missing };
}
