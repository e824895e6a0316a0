import { z } from "zod";
import { base64ToBytes, bytesToBase64 } from "./base64.js";
import { CodecError } from "./codec-error.js";
import { deflate, inflateBounded, unzlib, zlib } from "./compression.js";
import { bytesToUtf16, utf16ToBytes } from "./utf16.js";

/** Bump when the meaning of an existing `enc` changes; adding an `enc` does not need a new version. */
export const CODEC_VERSION = 1;

/**
 * - `json`: the JSON text itself. For values too small to gain from compression.
 * - `zlib-base64`: DEFLATE + Adler-32 checksum, base64. ASCII only, so safe in any store or transport.
 * - `zlib-utf16`: the same bytes packed 15 bits per UTF-16 unit. Smallest in localStorage and IndexedDB
 *   (see utf16.ts), but not ASCII: use `zlib-base64` for a URL, a header or a UTF-8 file (3 bytes per unit).
 * - `deflate-base64`: raw DEFLATE without checksum, base64. Read and written for completeness; corruption is
 *   only caught when it breaks the DEFLATE stream, the UTF-8 or the JSON, so prefer a zlib encoding.
 */
export const STATE_ENCODINGS = ["json", "zlib-base64", "zlib-utf16", "deflate-base64"] as const;
export type StateEncoding = (typeof STATE_ENCODINGS)[number];

/** Chosen by bench/codec.bench.ts: as fast as the others, smaller in localStorage, checksummed. */
export const DEFAULT_STATE_ENCODING: StateEncoding = "zlib-utf16";

/** Bytes per character of `data` where strings of non-Latin-1 characters take 2 (Chromium's storage). */
const MAX_BYTES_PER_CHAR: Record<StateEncoding, number> = {
  json: 2,
  "zlib-base64": 1,
  "zlib-utf16": 2,
  "deflate-base64": 1,
};

/** JSON shorter than this is stored as is: DEFLATE's header and base64/UTF-16 overhead eat the gain. */
export const SMALL_JSON_CHARS = 256;

/**
 * Largest decoded JSON (UTF-8 bytes) `decodeState` accepts by default: 16× a whole dashboard document
 * (256 KiB), so any real state fits while a decompression bomb stops early.
 */
export const DEFAULT_MAX_DECODED_BYTES = 4 * 1024 * 1024;

export const EncodedStateSchema = z.object({
  v: z.literal(CODEC_VERSION),
  enc: z.enum(STATE_ENCODINGS),
  data: z.string(),
});
export type EncodedState = z.infer<typeof EncodedStateSchema>;

export interface EncodeStateOptions {
  /** Force an encoding. Without it: `json` for small values, otherwise DEFAULT_STATE_ENCODING. */
  enc?: StateEncoding;
}

export interface DecodeStateOptions {
  /** Limit on the decoded JSON in UTF-8 bytes; DEFAULT_MAX_DECODED_BYTES when absent. */
  maxBytes?: number;
}

const utf8Encoder = new TextEncoder();
// fatal: invalid UTF-8 throws instead of decoding to U+FFFD, which would be garbage that still parses.
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** JSON-serialises `value` and stores it compactly. Throws CodecError for values JSON cannot represent. */
export function encodeState(value: unknown, options: EncodeStateOptions = {}): EncodedState {
  const json = stringify(value);
  if (options.enc) return { v: CODEC_VERSION, enc: options.enc, data: encodeJson(json, options.enc) };
  if (json.length < SMALL_JSON_CHARS) return { v: CODEC_VERSION, enc: "json", data: json };
  const data = encodeJson(json, DEFAULT_STATE_ENCODING);
  // Incompressible values (random ids, already-compressed text) would grow; keep them readable instead.
  // Compared as stored bytes at worst for the compressed form (a UTF-16 unit may take 2) and at best for JSON.
  if (data.length * MAX_BYTES_PER_CHAR[DEFAULT_STATE_ENCODING] >= json.length) {
    return { v: CODEC_VERSION, enc: "json", data: json };
  }
  return { v: CODEC_VERSION, enc: DEFAULT_STATE_ENCODING, data };
}

/**
 * Validates the envelope and returns the stored JSON value. Every failure is a CodecError; the result is
 * any JSON value, so the caller still migrates and validates it against its own schema.
 */
export function decodeState(encoded: unknown, options: DecodeStateOptions = {}): unknown {
  const { enc, data } = parseEnvelope(encoded);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_DECODED_BYTES;
  return parseJson(enc === "json" ? checkJsonSize(data, maxBytes) : decodeBytes(enc, data, maxBytes));
}

/** The envelope as one string (its JSON), e.g. for a localStorage value. */
export function serializeEncodedState(encoded: EncodedState): string {
  return JSON.stringify(parseEnvelope(encoded));
}

/** Inverse of `serializeEncodedState`; throws CodecError for anything that is not such a string. */
export function parseEncodedState(text: string): EncodedState {
  if (typeof text !== "string") throw new CodecError(`stored state must be a string, got ${typeof text}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CodecError("stored state is not valid JSON", { cause: error });
  }
  return parseEnvelope(parsed);
}

function stringify(value: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    // Cycles, BigInt, or nesting deep enough to overflow the stack.
    const reason = error instanceof Error ? error.message : String(error);
    throw new CodecError(`value cannot be serialised as JSON: ${reason}`, { cause: error });
  }
  if (json === undefined) throw new CodecError(`value cannot be serialised as JSON (it is ${typeof value})`);
  return json;
}

function encodeJson(json: string, enc: StateEncoding): string {
  switch (enc) {
    case "json":
      return json;
    case "zlib-base64":
      return bytesToBase64(zlib(utf8Encoder.encode(json)));
    case "zlib-utf16":
      return bytesToUtf16(zlib(utf8Encoder.encode(json)));
    case "deflate-base64":
      return bytesToBase64(deflate(utf8Encoder.encode(json)));
  }
}

function decodeBytes(enc: Exclude<StateEncoding, "json">, data: string, maxBytes: number): Uint8Array {
  const compressed = enc === "zlib-utf16" ? utf16ToBytes(data) : base64ToBytes(data);
  return enc === "deflate-base64" ? inflateBounded(compressed, maxBytes) : unzlib(compressed, maxBytes);
}

function checkJsonSize(json: string, maxBytes: number): string {
  // UTF-8 needs at least one byte per UTF-16 unit and at most three, so only measure when it can matter.
  if (json.length > maxBytes || (json.length * 3 > maxBytes && utf8Encoder.encode(json).length > maxBytes)) {
    throw new CodecError(`stored JSON exceeds the ${maxBytes}-byte limit`);
  }
  return json;
}

function parseJson(source: string | Uint8Array): unknown {
  let text: string;
  try {
    text = typeof source === "string" ? source : utf8Decoder.decode(source);
  } catch (error) {
    throw new CodecError("decoded data is not valid UTF-8", { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CodecError("decoded data is not valid JSON", { cause: error });
  }
}

function parseEnvelope(encoded: unknown): EncodedState {
  const version = isRecord(encoded) ? encoded.v : undefined;
  if (version !== undefined && version !== CODEC_VERSION) {
    // The likely real case: a cache written by a newer build, read after a rollback. Say so plainly.
    const shown =
      typeof version === "number" || typeof version === "string" ? JSON.stringify(version) : typeof version;
    throw new CodecError(`unsupported codec version ${shown}; this build reads version ${CODEC_VERSION}`);
  }
  const parsed = EncodedStateSchema.safeParse(encoded);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`,
    );
    throw new CodecError(`not an encoded state: ${issues.join("; ")}`, { cause: parsed.error });
  }
  return parsed.data;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
