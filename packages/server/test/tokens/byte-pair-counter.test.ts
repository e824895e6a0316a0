import fc from "fast-check";
import { CL100K_TOKEN_SPLIT_REGEX, O200K_TOKEN_SPLIT_REGEX } from "gpt-tokenizer/encodingParams/constants";
import { getEncoding } from "js-tiktoken";
import { beforeAll, describe, expect, it } from "vitest";
import { loadRanks } from "../../src/tokens/byte-pair-ranks.js";
import { loadTokenizer, MAX_EXACT_PIECE, type Tokenizer } from "../../src/tokens/token-counter.js";

/**
 * Our BPE (byte-pair-counter.ts, byte-pair-ranks.ts) against js-tiktoken, the port of OpenAI's tiktoken, on
 * generated text: every token id equal, not only the count. The corpus test (token-count.test.ts) covers real
 * text through the HTTP route; this one covers what a corpus misses (lone surrogates, marks, odd whitespace,
 * every part of the split regex) and the rank table itself.
 */
const ENCODINGS = ["o200k_base", "cl100k_base"] as const;
const reference = { o200k_base: getEncoding("o200k_base"), cl100k_base: getEncoding("cl100k_base") };

/** Code points that exercise each alternative of the split regexes and each UTF-8 length. */
const codePoint = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }), // ASCII letters, digits, punctuation
  fc.constantFrom(0x09, 0x0a, 0x0d, 0x0b, 0x0c, 0x20, 0xa0, 0x2009, 0x3000), // whitespace of every kind
  fc.constantFrom(0x27, 0x2f), // ' for contractions ('s 'LL), / for o200k's [\r\n/]*
  fc.integer({ min: 0xc0, max: 0x24f }), // Latin-1 and Latin Extended (2-byte UTF-8, upper and lower case)
  fc.integer({ min: 0x300, max: 0x36f }), // combining marks (\p{M})
  fc.integer({ min: 0x400, max: 0x4ff }), // Cyrillic
  fc.integer({ min: 0x660, max: 0x669 }), // Arabic-Indic digits (\p{N} outside ASCII)
  fc.integer({ min: 0x4e00, max: 0x9fff }), // CJK (3-byte UTF-8)
  fc.integer({ min: 0xd800, max: 0xdfff }), // lone surrogates: U+FFFD in UTF-8, as TextEncoder writes them
  fc.integer({ min: 0x1f300, max: 0x1faff }), // emoji (4-byte UTF-8, surrogate pairs in JS)
);
const text = fc
  .array(
    fc.oneof(codePoint, codePoint, fc.constantFrom("don't", "I'LL", " <|endoftext|>", "\r\n", "1234567")),
    {
      maxLength: 120,
    },
  )
  .map((parts) =>
    parts.map((part) => (typeof part === "string" ? part : String.fromCodePoint(part))).join(""),
  );

const tokenizers = {} as Record<(typeof ENCODINGS)[number], Tokenizer>;
beforeAll(async () => {
  for (const encoding of ENCODINGS) tokenizers[encoding] = await loadTokenizer(encoding);
});

describe.each(ENCODINGS)("%s", (encoding) => {
  it("encodes generated text to js-tiktoken's tokens, and counts as many", () => {
    fc.assert(
      fc.property(text, (sample) => {
        const expected = reference[encoding].encode(sample, [], []);
        expect(tokenizers[encoding].encode(sample)).toEqual({ tokens: expected, exact: true });
        expect(tokenizers[encoding].count(sample)).toEqual({ tokens: expected.length, exact: true });
      }),
      { numRuns: 2000 },
    );
  });

  it("finds every token of the vocabulary by its bytes, and nothing for bytes that are not a token", async () => {
    const ranks = await loadRanks(encoding);
    const list = (
      encoding === "o200k_base"
        ? await import("gpt-tokenizer/bpeRanks/o200k_base")
        : await import("gpt-tokenizer/bpeRanks/cl100k_base")
    ).default;
    const encoder = new TextEncoder();
    let checked = 0;
    for (const [rank, token] of list.entries()) {
      if (token === undefined) continue;
      const bytes = typeof token === "string" ? encoder.encode(token) : Uint8Array.from(token);
      if (ranks.rankOf(bytes, 0, bytes.length) !== rank)
        throw new Error(`rank ${rank} not found by its bytes`);
      // The same bytes behind a prefix: the lookup reads the range it is given, not the buffer's start.
      const shifted = Uint8Array.from([0xff, ...bytes]);
      if (ranks.rankOf(shifted, 1, shifted.length) !== rank)
        throw new Error(`rank ${rank} not found at offset 1`);
      checked++;
    }
    expect(checked).toBeGreaterThan(encoding === "o200k_base" ? 199_000 : 100_000);
    // 0xff never occurs in UTF-8 and no token starts with two of them.
    expect(ranks.rankOf(Uint8Array.from([0xff, 0xff, 0xff]), 0, 3)).toBe(-1);
  });

  it("is exact up to MAX_EXACT_PIECE units in one piece, and says so past it", () => {
    const split = encoding === "o200k_base" ? O200K_TOKEN_SPLIT_REGEX : CL100K_TOKEN_SPLIT_REGEX;
    // Letters of 1, 2 and 3 UTF-8 bytes, a surrogate pair (cut in half at odd lengths), lone surrogates, a
    // letter with a combining mark, and a leading space that joins the piece.
    for (const unit of ["a", "é", "中", "😀", "\uD800", "a\u0301", " b"]) {
      for (let length = MAX_EXACT_PIECE - 3; length <= MAX_EXACT_PIECE + 3; length++) {
        const sample = unit.repeat(length).slice(0, length);
        const longest = Math.max(...[...sample.matchAll(split)].map((match) => match[0].length));
        const encoded = tokenizers[encoding].encode(sample);
        expect(encoded.exact, `${JSON.stringify(unit)} × ${length}`).toBe(longest <= MAX_EXACT_PIECE);
        if (encoded.exact) expect(encoded.tokens).toEqual(reference[encoding].encode(sample, [], []));
        expect(tokenizers[encoding].count(sample).tokens).toBe(encoded.tokens.length);
      }
    }
  });

  it("encodes a piece over MAX_EXACT_PIECE in chunks, never inside a surrogate pair, labelled not exact", () => {
    // One piece (a run of letters): "a", then CJK Extension B ideographs, each a surrogate pair, so the
    // MAX_EXACT_PIECE-th UTF-16 unit is the first half of a pair and the first chunk ends one unit early.
    const piece = `a${"\u{20000}\u{20001}".repeat(MAX_EXACT_PIECE / 2)}`;
    const chunks: string[] = [];
    for (let from = 0; from < piece.length; ) {
      let to = Math.min(from + MAX_EXACT_PIECE, piece.length);
      if (to < piece.length && /[\uD800-\uDBFF]/.test(piece.charAt(to - 1))) to--;
      chunks.push(piece.slice(from, to));
      from = to;
    }
    expect(chunks.map((chunk) => chunk.length)).toEqual([MAX_EXACT_PIECE - 1, MAX_EXACT_PIECE, 2]);
    const tokens = chunks.flatMap((chunk) => reference[encoding].encode(chunk, [], []));
    expect(tokenizers[encoding].encode(piece)).toEqual({ tokens, exact: false });
    expect(tokenizers[encoding].count(piece)).toEqual({ tokens: tokens.length, exact: false });
    // The text around the long piece is encoded as it always is.
    const around = tokenizers[encoding].encode(`Hello, ${piece}\nbye`);
    expect(around.exact).toBe(false);
    expect(around.tokens.slice(0, 2)).toEqual(reference[encoding].encode("Hello,", [], []));
    expect(around.tokens.slice(-2)).toEqual(reference[encoding].encode("\nbye", [], []));
  });
});
