import type { BytePairRanks } from "./byte-pair-ranks.js";

/**
 * BPE merges within one pre-tokenizer piece (a run of letters, of punctuation, of whitespace) take quadratic
 * time in its length: 100,000 "x" in a row would hold the event loop for seconds. Pieces longer than this (UTF-16
 * units) are encoded in chunks of this size and the result is labelled `exact: false`; real text rarely has them
 * (words, indents and CJK clauses between punctuation are shorter).
 */
export const MAX_EXACT_PIECE = 200;

/** UTF-8 bytes of at most MAX_EXACT_PIECE UTF-16 units: 3 per unit at most (a surrogate pair is 4 for 2). */
const MAX_PIECE_BYTES = 3 * MAX_EXACT_PIECE;

/** Larger than any rank: "these two parts do not merge". */
const NO_MERGE = 0x7fffffff;

export interface Counted {
  tokens: number;
  /** false when a piece over MAX_EXACT_PIECE was encoded in chunks. */
  exact: boolean;
}

export interface Encoded {
  tokens: number[];
  exact: boolean;
}

/**
 * tiktoken's algorithm (split the text with the encoding's regex, then merge each piece's bytes pair by pair,
 * lowest rank first, leftmost on ties) with the piece's bytes in one reused buffer and ranks looked up by byte
 * range (BytePairRanks): no string, array or cache entry is allocated per piece beyond the regex's match. It
 * keeps no cache, so text it has never seen is counted as fast as text it has: docs/benchmarks.md
 * ("Token counting") has the numbers against js-tiktoken and gpt-tokenizer. Counts and tokens equal
 * js-tiktoken's (test/tokens/byte-pair-counter.test.ts).
 *
 * Not reentrant (one buffer, one regex lastIndex): every method runs to completion synchronously.
 */
export class BytePairCounter {
  /** Its own copy: a shared global regex's lastIndex would be another caller's state. */
  private readonly split: RegExp;
  private readonly bytes = new Uint8Array(MAX_PIECE_BYTES);
  /** Where each part of the piece being merged starts; starts[parts] is the piece's length. */
  private readonly starts = new Int32Array(MAX_PIECE_BYTES + 1);
  /** pairRanks[i]: the rank of part i and part i + 1 merged, or NO_MERGE. */
  private readonly pairRanks = new Int32Array(MAX_PIECE_BYTES);

  constructor(
    private readonly ranks: BytePairRanks,
    splitRegex: RegExp,
  ) {
    this.split = new RegExp(
      splitRegex.source,
      splitRegex.flags.includes("g") ? splitRegex.flags : `${splitRegex.flags}g`,
    );
  }

  /** How many tokens `text` encodes to; special-token text (`<|endoftext|>`) counts as the characters it is. */
  count(text: string): Counted {
    let tokens = 0;
    const exact = this.forEachPiece(text, (length) => {
      tokens += this.ranks.rankOf(this.bytes, 0, length) >= 0 ? 1 : this.merge(length);
    });
    return { tokens, exact };
  }

  /** The tokens of `text`, as `count` counts them. */
  encode(text: string): Encoded {
    const tokens: number[] = [];
    const exact = this.forEachPiece(text, (length) => {
      const whole = this.ranks.rankOf(this.bytes, 0, length);
      if (whole >= 0) {
        tokens.push(whole);
        return;
      }
      const parts = this.merge(length);
      // Every part is a token: single bytes are, and two parts merge only into a token.
      for (let i = 0; i < parts; i++)
        tokens.push(this.ranks.rankOf(this.bytes, this.starts[i] as number, this.starts[i + 1] as number));
    });
    return { tokens, exact };
  }

  /**
   * Writes each piece's UTF-8 bytes to `this.bytes` and calls `take` with their length. A piece over
   * MAX_EXACT_PIECE is taken in chunks of that size (never splitting a surrogate pair); returns false then.
   */
  private forEachPiece(text: string, take: (length: number) => void): boolean {
    const split = this.split;
    let exact = true;
    split.lastIndex = 0;
    for (let match = split.exec(text); match !== null; match = split.exec(text)) {
      const start = match.index;
      const end = start + match[0].length;
      if (end - start <= MAX_EXACT_PIECE) {
        take(this.writeUtf8(text, start, end));
        continue;
      }
      exact = false;
      for (let from = start; from < end; ) {
        let to = Math.min(from + MAX_EXACT_PIECE, end);
        const last = text.charCodeAt(to - 1);
        if (to < end && last >= 0xd800 && last <= 0xdbff) to--;
        take(this.writeUtf8(text, from, to));
        from = to;
      }
    }
    return exact;
  }

  /** UTF-8 of text[from .. to) into `this.bytes`, as TextEncoder writes it (a lone surrogate as U+FFFD). */
  private writeUtf8(text: string, from: number, to: number): number {
    const bytes = this.bytes;
    let n = 0;
    for (let i = from; i < to; i++) {
      let c = text.charCodeAt(i);
      if (c < 0x80) {
        bytes[n++] = c;
      } else if (c < 0x800) {
        bytes[n++] = 0xc0 | (c >> 6);
        bytes[n++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < to && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        const point = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
        bytes[n++] = 0xf0 | (point >> 18);
        bytes[n++] = 0x80 | ((point >> 12) & 0x3f);
        bytes[n++] = 0x80 | ((point >> 6) & 0x3f);
        bytes[n++] = 0x80 | (point & 0x3f);
      } else {
        if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
        bytes[n++] = 0xe0 | (c >> 12);
        bytes[n++] = 0x80 | ((c >> 6) & 0x3f);
        bytes[n++] = 0x80 | (c & 0x3f);
      }
    }
    return n;
  }

  /** Merges bytes[0 .. length) into tokens; returns how many. Their bounds are `starts[0 .. parts]`. */
  private merge(length: number): number {
    const { starts, pairRanks } = this;
    for (let i = 0; i <= length; i++) starts[i] = i;
    for (let i = 0; i + 1 < length; i++) pairRanks[i] = this.pairRank(i, i + 2);
    let parts = length;
    while (parts > 1) {
      let lowest = NO_MERGE;
      let at = -1;
      for (let i = 0; i + 1 < parts; i++) {
        const rank = pairRanks[i] as number;
        if (rank < lowest) {
          lowest = rank;
          at = i;
        }
      }
      if (at === -1) break;
      // Part `at` takes in part `at + 1`: its start goes, and so does the pair rank of it and the part after.
      starts.copyWithin(at + 1, at + 2, parts + 1);
      pairRanks.copyWithin(at + 1, at + 2, parts - 1);
      parts--;
      pairRanks[at] =
        at + 1 < parts ? this.pairRank(starts[at] as number, starts[at + 2] as number) : NO_MERGE;
      if (at > 0) pairRanks[at - 1] = this.pairRank(starts[at - 1] as number, starts[at + 1] as number);
    }
    return parts;
  }

  private pairRank(start: number, end: number): number {
    const rank = this.ranks.rankOf(this.bytes, start, end);
    return rank < 0 ? NO_MERGE : rank;
  }
}
