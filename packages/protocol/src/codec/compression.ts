import { deflateSync, Inflate, zlibSync } from "fflate";
import { CodecError } from "./codec-error.js";

/**
 * DEFLATE (RFC 1951) and zlib (RFC 1950 = DEFLATE + header + Adler-32) on top of fflate. fflate's own
 * `unzlibSync` does not verify the Adler-32 trailer, and its `inflateSync` grows its output without bound, so
 * decompression goes through `inflateBounded` and `unzlib` below.
 */

/** Input fed to the inflater per step; one step can emit at most ~1032× this before the size check runs. */
const INFLATE_STEP_BYTES = 16 * 1024;
const ZLIB_HEADER_BYTES = 2;
const ZLIB_TRAILER_BYTES = 4;

export function deflate(bytes: Uint8Array): Uint8Array {
  return deflateSync(bytes);
}

export function zlib(bytes: Uint8Array): Uint8Array {
  return zlibSync(bytes);
}

/**
 * Inflates raw DEFLATE data, giving up with a CodecError as soon as the output exceeds `maxBytes`: a few
 * hundred stored bytes can otherwise expand to gigabytes (a decompression bomb) and freeze the tab.
 */
export function inflateBounded(compressed: Uint8Array, maxBytes: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  const inflater = new Inflate((part) => {
    total += part.length;
    if (total > maxBytes) throw new CodecError(`decompressed data exceeds the ${maxBytes}-byte limit`);
    parts.push(part);
  });
  if (compressed.length === 0) throw new CodecError("compressed data is empty");
  try {
    for (let at = 0; at < compressed.length; at += INFLATE_STEP_BYTES) {
      const end = at + INFLATE_STEP_BYTES;
      inflater.push(compressed.subarray(at, end), end >= compressed.length);
    }
  } catch (error) {
    if (error instanceof CodecError) throw error;
    throw new CodecError(`corrupt compressed data: ${messageOf(error)}`, { cause: error });
  }
  return concat(parts, total);
}

/** Checks the zlib header, inflates the body within `maxBytes` and verifies the Adler-32 of the result. */
export function unzlib(compressed: Uint8Array, maxBytes: number): Uint8Array {
  if (compressed.length < ZLIB_HEADER_BYTES + ZLIB_TRAILER_BYTES) {
    throw new CodecError("zlib data is truncated");
  }
  const cmf = compressed[0]!;
  const flg = compressed[1]!;
  // Method 8 (deflate), window ≤ 32 KiB, header checksum, and no preset dictionary (we never write one).
  if ((cmf & 0x0f) !== 8 || cmf >>> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0 || (flg & 0x20) !== 0) {
    throw new CodecError("zlib header is invalid");
  }
  const body = compressed.subarray(ZLIB_HEADER_BYTES, compressed.length - ZLIB_TRAILER_BYTES);
  const output = inflateBounded(body, maxBytes);
  const expected = readUint32BE(compressed, compressed.length - ZLIB_TRAILER_BYTES);
  if (adler32(output) !== expected) throw new CodecError("zlib checksum mismatch: the data is corrupt");
  return output;
}

/** Adler-32 (RFC 1950 §8.2). Reducing every 5552 bytes (zlib's NMAX) keeps both sums below 2^32. */
export function adler32(bytes: Uint8Array): number {
  const MOD = 65521;
  const NMAX = 5552;
  let a = 1;
  let b = 0;
  for (let start = 0; start < bytes.length; start += NMAX) {
    const end = Math.min(start + NMAX, bytes.length);
    for (let i = start; i < end; i++) {
      a += bytes[i]!;
      b += a;
    }
    a %= MOD;
    b %= MOD;
  }
  return ((b << 16) | a) >>> 0;
}

function readUint32BE(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
