import type { EncodingName } from "./token-types.js";

/**
 * The token (rank) of a byte sequence, for the BPE merges in byte-pair-counter.ts.
 *
 * Why not gpt-tokenizer's own lookup: its rank map is keyed by the token's decoded string, so every merge step
 * validates and decodes the candidate bytes to a string (a TextDecoder call) before the Map lookup; that was two
 * thirds of its counting time on our corpus. This is an open-addressing hash table over the token bytes
 * themselves: a lookup hashes a few bytes of a reused buffer and compares them with one stretch of a byte pool,
 * with no allocation. Built once per encoding (~50 ms, ~4 MB for o200k_base) from the rank list gpt-tokenizer
 * ships, so both count with the same vocabulary.
 */
export class BytePairRanks {
  /** Every token's bytes back to back, in rank order; token r is pool[offsets[r] .. offsets[r + 1]). */
  private readonly pool: Uint8Array;
  private readonly offsets: Int32Array;
  /** Open addressing with linear probing: a rank, or -1 for an empty slot. */
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(rankList: readonly (string | readonly number[] | undefined)[]) {
    const encoder = new TextEncoder();
    // A token is at most a few dozen bytes; 16 per token on average is far more than any vocabulary needs,
    // and the pool is cut to size below.
    let pool = new Uint8Array(rankList.length * 16);
    const offsets = new Int32Array(rankList.length + 1);
    let used = 0;
    for (let rank = 0; rank < rankList.length; rank++) {
      offsets[rank] = used;
      const token = rankList[rank];
      // A hole in the list is a rank no byte sequence maps to: it gets no bytes and no slot.
      if (token === undefined) continue;
      // A UTF-16 unit is at most 3 bytes of UTF-8 (a surrogate pair 4 for two units).
      const most = typeof token === "string" ? 3 * token.length : token.length;
      while (pool.length - used < most) {
        const bigger = new Uint8Array(pool.length * 2);
        bigger.set(pool.subarray(0, used));
        pool = bigger;
      }
      // Strings are tokens whose bytes are valid UTF-8, so encoding them gives back exactly those bytes;
      // the others are listed as bytes.
      if (typeof token === "string") used += encoder.encodeInto(token, pool.subarray(used)).written;
      else {
        pool.set(token, used);
        used += token.length;
      }
    }
    offsets[rankList.length] = used;
    this.pool = pool.slice(0, used);
    this.offsets = offsets;

    // Load factor at most 0.4: probes stay short for the misses that most merge candidates are.
    let size = 1;
    while (size < rankList.length * 2.5) size *= 2;
    this.slots = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    for (let rank = 0; rank < rankList.length; rank++) {
      const start = offsets[rank] as number;
      const end = offsets[rank + 1] as number;
      if (end === start) continue;
      let slot = hashBytes(this.pool, start, end) & this.mask;
      while ((this.slots[slot] as number) !== -1) slot = (slot + 1) & this.mask;
      this.slots[slot] = rank;
    }
  }

  /** The rank of bytes[start .. end), or -1 when that sequence is not a token. */
  rankOf(bytes: Uint8Array, start: number, end: number): number {
    const length = end - start;
    const { pool, offsets, slots, mask } = this;
    let slot = hashBytes(bytes, start, end) & mask;
    for (;;) {
      const rank = slots[slot] as number;
      if (rank === -1) return -1;
      const from = offsets[rank] as number;
      if ((offsets[rank + 1] as number) - from === length) {
        let i = 0;
        while (i < length && pool[from + i] === bytes[start + i]) i++;
        if (i === length) return rank;
      }
      slot = (slot + 1) & mask;
    }
  }
}

/** FNV-1a: cheap for the few bytes of a token, and spreads them well enough for linear probing. */
function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let hash = 0x811c9dc5;
  for (let i = start; i < end; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
  return hash >>> 0;
}

const loaded = new Map<EncodingName, Promise<BytePairRanks>>();

/**
 * The encoding's ranks, imported on first use (the lists are megabytes of source) and shared afterwards.
 * gpt-tokenizer's encoding module imports the same list module, so the list is held in memory once.
 */
export function loadRanks(encoding: EncodingName): Promise<BytePairRanks> {
  let pending = loaded.get(encoding);
  if (!pending) {
    const list =
      encoding === "o200k_base"
        ? import("gpt-tokenizer/bpeRanks/o200k_base")
        : import("gpt-tokenizer/bpeRanks/cl100k_base");
    pending = list.then((module) => new BytePairRanks(module.default));
    // A failed import (a broken install) is not cached, so the next call tries again and reports it again.
    pending.catch(() => loaded.delete(encoding));
    loaded.set(encoding, pending);
  }
  return pending;
}
