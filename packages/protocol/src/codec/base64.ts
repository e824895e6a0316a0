import { CodecError } from "./codec-error.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const PAD = 61; // "="
const ENCODE = Uint8Array.from(ALPHABET, (char) => char.charCodeAt(0));
/** Char code → 6-bit value, 255 for anything outside the alphabet. */
const DECODE = new Uint8Array(128).fill(255);
ENCODE.forEach((code, value) => {
  DECODE[code] = value;
});

const ascii = new TextDecoder();

/**
 * Standard base64 with padding (RFC 4648 §4). Our own loop rather than `btoa(String.fromCharCode(...bytes))`:
 * that spread overflows the call stack on large arrays, and `btoa` needs a binary string first.
 */
export function bytesToBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = ENCODE[n >>> 18]!;
    out[o++] = ENCODE[(n >>> 12) & 63]!;
    out[o++] = ENCODE[(n >>> 6) & 63]!;
    out[o++] = ENCODE[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out[o++] = ENCODE[n >>> 18]!;
    out[o++] = ENCODE[(n >>> 12) & 63]!;
    out[o++] = rest === 2 ? ENCODE[(n >>> 6) & 63]! : PAD;
    out[o++] = PAD;
  }
  return ascii.decode(out);
}

/**
 * Strict inverse of `bytesToBase64`: rejects characters outside the alphabet (whitespace included), a length
 * that is not a multiple of 4 (a truncated string), misplaced padding and non-zero padding bits, so that one
 * stored value has exactly one accepted spelling. `atob` is lenient on all of these.
 */
export function base64ToBytes(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw new CodecError(`base64 length ${text.length} is not a multiple of 4`);
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  const quads = text.length / 4;
  let o = 0;
  for (let q = 0; q < quads; q++) {
    const last = q === quads - 1;
    const at = q * 4;
    const a = sextet(text, at);
    const b = sextet(text, at + 1);
    const c = last && padding === 2 ? 0 : sextet(text, at + 2);
    const d = last && padding >= 1 ? 0 : sextet(text, at + 3);
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >>> 16;
    if (last && padding === 2) {
      if (n & 0xffff) throw new CodecError("base64 has non-zero padding bits");
      break;
    }
    out[o++] = (n >>> 8) & 255;
    if (last && padding === 1) {
      if (n & 0xff) throw new CodecError("base64 has non-zero padding bits");
      break;
    }
    out[o++] = n & 255;
  }
  return out;
}

function sextet(text: string, index: number): number {
  const code = text.charCodeAt(index);
  const value = code < 128 ? DECODE[code]! : 255;
  if (value === 255) throw new CodecError(`invalid base64 character at offset ${index}`);
  return value;
}
