import { z } from "zod";

/**
 * How one kind of value is parsed, checked and documented. Every schema accepts what the three sources
 * hand over: a string (env var, commander flag), any JSON value (config file), a boolean (`--demo`).
 * `allowed` both completes "X must be …" in errors and fills the docs' "allowed" column, so the two can
 * never disagree.
 */
export interface OptionKind<S extends z.ZodType = z.ZodType> {
  readonly schema: S;
  readonly allowed: string;
  readonly defaultText: string;
  /** Secrets are never echoed back: error lines end up in logs and CI output. */
  readonly secret?: boolean;
  /** How a rejected value is shown after "got"; secrets override it. */
  readonly show?: (raw: unknown) => string;
}

const MAX_SHOWN = 80;

/** The rejected value as JSON (quotes and escapes keep it on one line), cut short if long. */
export function showValue(raw: unknown): string {
  const text = JSON.stringify(raw) ?? String(raw);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

const code = (value: string | number | boolean) => `\`${value}\``;
const trimmed = (raw: unknown) => (typeof raw === "string" ? raw.trim() : raw);

const INTEGER = /^[+-]?\d+$/;

export function integer(min: number, max: number, fallback: number) {
  // Only whole decimal strings count: Number("1.5e2") or parseInt("30days") would quietly accept typos.
  const toNumber = (raw: unknown) =>
    typeof raw === "string" && INTEGER.test(raw.trim()) ? Number(raw) : raw;
  return {
    schema: z.preprocess(toNumber, z.number().int().min(min).max(max)).default(fallback),
    allowed: `an integer from ${min} to ${max}`,
    defaultText: code(fallback),
  } satisfies OptionKind;
}

const TRUE_WORDS = new Set(["1", "true", "yes"]);
const FALSE_WORDS = new Set(["0", "false", "no"]);

export function boolean(fallback: boolean) {
  const toBoolean = (raw: unknown) => {
    if (typeof raw !== "string") return raw;
    const word = raw.trim().toLowerCase();
    return TRUE_WORDS.has(word) ? true : FALSE_WORDS.has(word) ? false : raw;
  };
  return {
    schema: z.preprocess(toBoolean, z.boolean()).default(fallback),
    allowed: "a boolean: 1, true, yes, 0, false or no",
    defaultText: code(fallback),
  } satisfies OptionKind;
}

export function oneOf<const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) {
  return {
    schema: z.preprocess(trimmed, z.enum(values)).default(fallback),
    allowed: `one of ${values.join(", ")}`,
    defaultText: code(fallback),
  } satisfies OptionKind;
}

export function text(fallback: string, allowed = "a non-empty string") {
  return {
    schema: z.string().trim().min(1).default(fallback),
    allowed,
    defaultText: code(fallback),
  } satisfies OptionKind;
}

function hasProtocol(protocols: readonly string[]) {
  return (value: string) => {
    try {
      const url = new URL(value);
      return protocols.includes(url.protocol) && url.hostname !== "";
    } catch {
      return false;
    }
  };
}

/** Drops `user:password@` so a mistyped connection string can be shown without its password. */
function withoutCredentials(raw: unknown): string {
  return typeof raw === "string" ? showValue(raw.replace(/\/\/[^/@]*@/, "//***@")) : showValue(raw);
}

/** An optional URL; `protocols` are URL.protocol values such as "https:". */
export function url(protocols: readonly string[], options: { secret?: boolean; defaultText?: string } = {}) {
  const schemes = protocols.map((protocol) => `${protocol}//`);
  return {
    schema: z.string().trim().refine(hasProtocol(protocols)).optional(),
    allowed: `a URL starting with ${schemes.join(" or ")}`,
    defaultText: options.defaultText ?? "none",
    // Connection strings carry passwords; the scheme and host are what the user needs to spot the mistake.
    ...(options.secret ? { secret: true, show: withoutCredentials } : {}),
  } satisfies OptionKind;
}

/** Comma-separated in env vars and flags, a JSON array (or the same comma string) in the file. */
function toList(raw: unknown): unknown {
  const items = typeof raw === "string" ? raw.split(",") : raw;
  if (!Array.isArray(items)) return raw;
  return items.map(trimmed).filter((item) => item !== "");
}

export function list(item: z.ZodType<string>, allowed: string, show?: (raw: unknown) => string) {
  return {
    schema: z.preprocess(toList, z.array(item)).default(() => []),
    allowed,
    defaultText: "none",
    ...(show ? { show } : {}),
  } satisfies OptionKind;
}

export const MIN_METRICS_KEY_LENGTH = 16;

/** Names the offending key by its length only: the keys are secrets. */
function showShortKey(raw: unknown): string {
  const keys = toList(raw);
  if (!Array.isArray(keys)) return `a ${typeof raw}`;
  const short = keys.find((key) => typeof key !== "string" || key.length < MIN_METRICS_KEY_LENGTH);
  return typeof short === "string" ? `a key of ${short.length} characters` : "a key that is not a string";
}

export function metricsKeyList() {
  return list(
    z.string().min(MIN_METRICS_KEY_LENGTH),
    `a comma-separated list of keys, each at least ${MIN_METRICS_KEY_LENGTH} characters`,
    showShortKey,
  );
}

/** `scheme://host[:port]` and nothing else, normalised the way browsers send the Origin header. */
export function originList() {
  const origin = z
    .string()
    .refine((value) => {
      try {
        const url = new URL(value);
        const bare = url.pathname === "/" && !url.search && !url.hash && !url.username && !url.password;
        return bare && (url.protocol === "http:" || url.protocol === "https:") && !value.endsWith("?");
      } catch {
        return false;
      }
    })
    .transform((value) => new URL(value).origin);
  return list(origin, "a comma-separated list of origins, each scheme://host[:port] with http or https");
}
