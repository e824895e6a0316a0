import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createRng, makeDashboardState } from "../../../../bench/fixtures/dashboard-state.js";
import { validateDashboardState } from "../dashboard/dashboard-state.js";
import { base64ToBytes, bytesToBase64 } from "./base64.js";
import { SMALL_JSON_CHARS } from "./codec.js";
import { adler32, deflate, zlib } from "./compression.js";
import {
  CodecError,
  DEFAULT_STATE_ENCODING,
  decodeState,
  type EncodedState,
  EncodedStateSchema,
  encodeState,
  parseEncodedState,
  STATE_ENCODINGS,
  serializeEncodedState,
} from "./index.js";
import { bytesToUtf16, utf16ToBytes } from "./utf16.js";

const COMPRESSED_ENCODINGS = STATE_ENCODINGS.filter((enc) => enc !== "json");
const CHECKSUMMED_ENCODINGS = ["zlib-base64", "zlib-utf16"] as const;

function expectCodecError(run: () => unknown, message?: RegExp): CodecError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(CodecError);
  const error = caught as CodecError;
  expect(error.code).toBe("codec_error");
  expect(error.name).toBe("CodecError");
  if (message) expect(error.message).toMatch(message);
  return error;
}

/** Puts arbitrary bytes into an envelope of a compressed encoding, skipping the codec's compressor. */
function envelopeOf(enc: (typeof COMPRESSED_ENCODINGS)[number], bytes: Uint8Array): EncodedState {
  return { v: 1, enc, data: enc === "zlib-utf16" ? bytesToUtf16(bytes) : bytesToBase64(bytes) };
}

function compressedBytesOf(encoded: EncodedState): Uint8Array {
  return encoded.enc === "zlib-utf16" ? utf16ToBytes(encoded.data) : base64ToBytes(encoded.data);
}

describe("encodeState / decodeState", () => {
  it("round-trips a realistic 50 KB dashboard state with the default encoding", () => {
    const state = makeDashboardState(50_000);
    const encoded = encodeState(state);
    expect(encoded.enc).toBe(DEFAULT_STATE_ENCODING);
    expect(encoded.data.length).toBeLessThan(JSON.stringify(state).length / 3);
    const decoded = decodeState(parseEncodedState(serializeEncodedState(encoded)));
    expect(decoded).toEqual(state);
    // The fixture is a valid document, and decoding kept it one.
    expect(validateDashboardState(decoded)).toEqual(state);
  });

  it.each(STATE_ENCODINGS)("round-trips a realistic 5 KB dashboard state as %s", (enc) => {
    const state = makeDashboardState(5_000);
    const encoded = encodeState(state, { enc });
    expect(encoded).toMatchObject({ v: 1, enc });
    expect(decodeState(encoded)).toEqual(state);
  });

  it("stores small values as plain JSON, where compression cannot win", () => {
    const small = { schemaVersion: 1, layout: { columns: 12, items: [] }, widgets: {}, preferences: {} };
    expect(JSON.stringify(small).length).toBeLessThan(SMALL_JSON_CHARS);
    expect(encodeState(small)).toEqual({ v: 1, enc: "json", data: JSON.stringify(small) });
  });

  it("falls back to JSON when the compressed form would be longer", () => {
    // Random characters from a wide range: ~15 bits of entropy each, 3 UTF-8 bytes each; nothing to squeeze.
    const rng = createRng(7);
    const noise = Array.from({ length: 2_000 }, () =>
      String.fromCharCode(0x4e00 + Math.floor(rng() * 0x5000)),
    );
    const encoded = encodeState(noise.join(""));
    expect(encoded.enc).toBe("json");
    expect(decodeState(encoded)).toBe(noise.join(""));
  });

  it("round-trips every JSON value in every encoding (property)", () => {
    const enc = fc.constantFrom(...STATE_ENCODINGS);
    fc.assert(
      fc.property(fc.jsonValue(), enc, (value, encoding) => {
        const encoded = encodeState(value, { enc: encoding });
        expect(EncodedStateSchema.parse(encoded)).toEqual(encoded);
        // JSON itself turns -0 into 0: compare with what JSON can carry.
        expect(decodeState(parseEncodedState(serializeEncodedState(encoded)))).toEqual(
          JSON.parse(JSON.stringify(value)),
        );
      }),
      { numRuns: 400 },
    );
  });

  it("refuses values JSON cannot represent", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expectCodecError(() => encodeState(undefined), /cannot be serialised/);
    expectCodecError(() => encodeState(() => 1), /cannot be serialised/);
    expectCodecError(() => encodeState(10n), /cannot be serialised/);
    expectCodecError(() => encodeState(cyclic), /cannot be serialised/);
  });
});

describe("decodeState rejects bad envelopes", () => {
  const good = encodeState(makeDashboardState(2_000));

  it.each([
    ["null", null],
    ["a string", "hello"],
    ["an array", [1, "json", "1"]],
    ["missing data", { v: 1, enc: "json" }],
    ["data that is not a string", { v: 1, enc: "json", data: 42 }],
    ["missing v", { enc: "json", data: "1" }],
  ])("%s", (_label, envelope) => {
    expectCodecError(() => decodeState(envelope), /not an encoded state/);
  });

  it("an unknown version, saying which", () => {
    expectCodecError(
      () => decodeState({ ...good, v: 2 }),
      /unsupported codec version 2; this build reads version 1/,
    );
    expectCodecError(() => decodeState({ ...good, v: "1" }), /unsupported codec version "1"/);
  });

  it("an unknown encoding", () => {
    expectCodecError(() => decodeState({ ...good, enc: "brotli-base64" }), /enc/);
    expectCodecError(() => decodeState({ ...good, enc: "lz-string" }), /enc/);
  });

  it("data of another encoding", () => {
    const asBase64 = encodeState(makeDashboardState(2_000), { enc: "zlib-base64" });
    expectCodecError(() => decodeState({ ...asBase64, enc: "zlib-utf16" }));
    expectCodecError(() => decodeState({ ...asBase64, enc: "json" }), /not valid JSON/);
    expectCodecError(() => decodeState({ ...asBase64, enc: "deflate-base64" }));
  });
});

describe("decodeState rejects corrupt data", () => {
  const state = makeDashboardState(5_000);

  it("invalid JSON in a json envelope", () => {
    expectCodecError(() => decodeState({ v: 1, enc: "json", data: '{"a":' }), /not valid JSON/);
    expectCodecError(() => decodeState({ v: 1, enc: "json", data: "" }), /not valid JSON/);
  });

  it.each(["zlib-base64", "deflate-base64"] as const)("truncated or malformed base64 (%s)", (enc) => {
    const { data } = encodeState(state, { enc });
    expectCodecError(() => decodeState({ v: 1, enc, data: data.slice(0, -1) }), /multiple of 4/);
    expectCodecError(() => decodeState({ v: 1, enc, data: data.slice(0, -4) }), /corrupt|truncated|checksum/);
    expectCodecError(
      () => decodeState({ v: 1, enc, data: `${data.slice(0, 8)}*${data.slice(9)}` }),
      /character/,
    );
    expectCodecError(
      () => decodeState({ v: 1, enc, data: `${data.slice(0, 8)}\n${data.slice(9)}` }),
      /character/,
    );
  });

  it("truncated or malformed packed UTF-16", () => {
    const { data } = encodeState(state, { enc: "zlib-utf16" });
    expectCodecError(() => decodeState({ v: 1, enc: "zlib-utf16", data: data.slice(0, -1) }));
    expectCodecError(() => decodeState({ v: 1, enc: "zlib-utf16", data: `x${data.slice(1)}` }), /header/);
    expectCodecError(() =>
      decodeState({ v: 1, enc: "zlib-utf16", data: `${data.slice(0, 5)}A${data.slice(6)}` }),
    );
    expectCodecError(() => decodeState({ v: 1, enc: "zlib-utf16", data: "" }), /header/);
  });

  it.each(COMPRESSED_ENCODINGS)("a compressed stream cut short (%s)", (enc) => {
    const bytes = compressedBytesOf(encodeState(state, { enc }));
    for (const keep of [0, 1, 2, 6, Math.floor(bytes.length / 2), bytes.length - 5]) {
      expectCodecError(() => decodeState(envelopeOf(enc, bytes.subarray(0, keep))));
    }
  });

  it.each(CHECKSUMMED_ENCODINGS)("any flipped byte (%s) is caught or harmless (property)", (enc) => {
    const bytes = compressedBytesOf(encodeState(state, { enc }));
    fc.assert(
      fc.property(fc.nat(bytes.length - 1), fc.integer({ min: 1, max: 255 }), (index, mask) => {
        const corrupt = bytes.slice();
        corrupt[index]! ^= mask;
        try {
          // A flip in the unused bits of the last DEFLATE byte changes nothing; anything else must throw.
          expect(decodeState(envelopeOf(enc, corrupt))).toEqual(state);
        } catch (error) {
          expect(error).toBeInstanceOf(CodecError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a wrong zlib checksum", () => {
    const bytes = zlib(new TextEncoder().encode(JSON.stringify(state)));
    bytes[bytes.length - 1]! ^= 1;
    expectCodecError(() => decodeState(envelopeOf("zlib-base64", bytes)), /checksum/);
  });

  it("a zlib header that needs a preset dictionary or is not DEFLATE", () => {
    const bytes = zlib(new TextEncoder().encode(JSON.stringify(state)));
    const withDictionary = bytes.slice();
    withDictionary[1] = 0xbb; // FDICT set, header check still valid (0x78bb % 31 === 0)
    expectCodecError(() => decodeState(envelopeOf("zlib-base64", withDictionary)), /header/);
    const notDeflate = bytes.slice();
    notDeflate[0] = 0x79;
    expectCodecError(() => decodeState(envelopeOf("zlib-base64", notDeflate)), /header/);
  });

  it.each(COMPRESSED_ENCODINGS)("decompressed bytes that are not UTF-8 or not JSON (%s)", (enc) => {
    const compress = enc === "deflate-base64" ? deflate : zlib;
    expectCodecError(() => decodeState(envelopeOf(enc, compress(Uint8Array.of(0x7b, 0xff, 0x7d)))), /UTF-8/);
    expectCodecError(() => decodeState(envelopeOf(enc, compress(new TextEncoder().encode("{nope")))), /JSON/);
  });

  it.each(COMPRESSED_ENCODINGS)("random data never decodes to garbage (%s, property)", (enc) => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), (bytes) => {
        try {
          decodeState(envelopeOf(enc, bytes));
        } catch (error) {
          expect(error).toBeInstanceOf(CodecError);
          return;
        }
        // Random bytes that decode at all must at least be a well-formed stream with valid JSON inside,
        // which for a checksummed encoding is practically impossible.
        expect(CHECKSUMMED_ENCODINGS).not.toContain(enc);
      }),
      { numRuns: 300 },
    );
  });
});

describe("decodeState bounds its work", () => {
  // 8 MiB of spaces inside a JSON string compresses to ~8 KB: a small stored value that would be huge decoded.
  const bomb = new TextEncoder().encode(`"${" ".repeat(8 * 1024 * 1024)}"`);

  it.each(COMPRESSED_ENCODINGS)("stops a decompression bomb early (%s)", (enc) => {
    const compressed = enc === "deflate-base64" ? deflate(bomb) : zlib(bomb);
    expect(compressed.length).toBeLessThan(20_000);
    const started = performance.now();
    expectCodecError(() => decodeState(envelopeOf(enc, compressed)), /exceeds the 4194304-byte limit/);
    // Generous: the point is that it stops near the limit instead of inflating everything.
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("honours maxBytes for every encoding", () => {
    const state = makeDashboardState(5_000);
    const size = new TextEncoder().encode(JSON.stringify(state)).length;
    for (const enc of STATE_ENCODINGS) {
      const encoded = encodeState(state, { enc });
      expect(decodeState(encoded, { maxBytes: size })).toEqual(state);
      expectCodecError(() => decodeState(encoded, { maxBytes: size - 1 }), /exceeds/);
    }
  });
});

describe("serializeEncodedState / parseEncodedState", () => {
  it("round-trips the envelope as one string, dropping unknown keys", () => {
    const encoded = encodeState(makeDashboardState(3_000));
    const text = serializeEncodedState({ ...encoded, extra: true } as EncodedState);
    expect(JSON.parse(text)).toEqual(encoded);
    expect(parseEncodedState(text)).toEqual(encoded);
  });

  it("rejects strings that are not envelopes", () => {
    expectCodecError(() => parseEncodedState("not json"), /not valid JSON/);
    expectCodecError(() => parseEncodedState(""), /not valid JSON/);
    expectCodecError(() => parseEncodedState("[]"), /not an encoded state/);
    expectCodecError(
      () => parseEncodedState('{"v":3,"enc":"json","data":"1"}'),
      /unsupported codec version 3/,
    );
    expectCodecError(() => parseEncodedState(undefined as unknown as string), /must be a string/);
  });

  it("refuses to serialise a malformed envelope", () => {
    expectCodecError(() => serializeEncodedState({ v: 1, enc: "gzip" } as unknown as EncodedState));
  });
});

describe("byte packings", () => {
  it("base64 matches the platform encoder and round-trips any bytes (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = bytesToBase64(bytes);
        expect(text).toBe(btoa(String.fromCharCode(...bytes)));
        expect(base64ToBytes(text)).toEqual(bytes);
      }),
    );
  });

  it("base64 rejects non-zero padding bits, so each value has one spelling", () => {
    expect(base64ToBytes("QQ==")).toEqual(Uint8Array.of(65));
    expectCodecError(() => base64ToBytes("QR=="), /padding bits/);
    expect(base64ToBytes("QUI=")).toEqual(Uint8Array.of(65, 66));
    expectCodecError(() => base64ToBytes("QUJ="), /padding bits/);
  });

  it("packed UTF-16 round-trips any bytes and stays in U+0100..U+80FF (property)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const text = bytesToUtf16(bytes);
        expect(text.length).toBe(1 + Math.ceil((bytes.length * 8) / 15));
        for (let i = 1; i < text.length; i++) {
          expect(text.charCodeAt(i)).toBeGreaterThanOrEqual(0x100);
          expect(text.charCodeAt(i)).toBeLessThanOrEqual(0x80ff);
        }
        expect(utf16ToBytes(text)).toEqual(bytes);
      }),
    );
  });

  it("handles arrays far larger than a call stack", () => {
    const bytes = new Uint8Array(3_000_000).map((_, i) => (i * 31) & 255);
    const same = (other: Uint8Array) =>
      other.length === bytes.length && other.every((byte, i) => byte === bytes[i]);
    expect(same(base64ToBytes(bytesToBase64(bytes)))).toBe(true);
    expect(same(utf16ToBytes(bytesToUtf16(bytes)))).toBe(true);
  });

  it("adler32 matches the RFC 1950 reference value", () => {
    expect(adler32(new TextEncoder().encode("Wikipedia"))).toBe(0x11e60398);
    expect(adler32(new Uint8Array(0))).toBe(1);
    // Long runs of 0xff are the worst case for the deferred modulo.
    expect(adler32(new Uint8Array(100_000).fill(255))).toBe(
      adler32Reference(new Uint8Array(100_000).fill(255)),
    );
  });
});

function adler32Reference(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}
