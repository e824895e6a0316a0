import { CodecError } from "./codec-error.js";

/**
 * Packs bytes 15 bits per UTF-16 code unit, like lz-string's `compressToUTF16`. For localStorage this beats
 * base64 however the engine counts: per character (15 bits vs 6) or per stored byte (15 bits per 2 bytes vs
 * 6 bits per byte). Code units are OFFSET + value, i.e. U+0100..U+80FF: no control characters, no `"` or `\`
 * (so JSON.stringify copies them verbatim) and no surrogates (so the string is well-formed Unicode).
 *
 * Layout: one header character, a digit or letter "0".."e" giving the padding bits (0..14) in the last
 * unit, then the units. Without it the byte count would be ambiguous whenever the padding is 8 bits or more.
 */
const OFFSET = 0x100;
const BITS = 15;
const MASK = (1 << BITS) - 1;
/** Builds the string natively from little-endian bytes we write ourselves, so host endianness never matters. */
const utf16le = new TextDecoder("utf-16le", { ignoreBOM: true });

export function bytesToUtf16(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil((bytes.length * 8) / BITS) * 2);
  let o = 0;
  const put = (unit: number) => {
    out[o++] = unit & 255;
    out[o++] = unit >>> 8;
  };
  let acc = 0;
  let accBits = 0;
  for (let i = 0; i < bytes.length; i++) {
    acc = (acc << 8) | bytes[i]!;
    accBits += 8;
    if (accBits >= BITS) {
      accBits -= BITS;
      put(OFFSET + ((acc >>> accBits) & MASK));
      acc &= (1 << accBits) - 1;
    }
  }
  const padding = accBits === 0 ? 0 : BITS - accBits;
  if (accBits > 0) put(OFFSET + ((acc << padding) & MASK));
  return padding.toString(16) + utf16le.decode(out);
}

/** Strict inverse of `bytesToUtf16`: any header, unit or padding it would not produce is a CodecError. */
export function utf16ToBytes(text: string): Uint8Array {
  const header = text.charAt(0);
  const padding = /^[0-9a-e]$/.test(header) ? Number.parseInt(header, 16) : -1;
  const unitCount = text.length - 1;
  const bitCount = unitCount * BITS - padding;
  if (padding < 0 || bitCount < 0 || bitCount % 8 !== 0 || (unitCount === 0 && padding !== 0)) {
    throw new CodecError("packed UTF-16 data has a bad header or length");
  }
  const out = new Uint8Array(bitCount / 8);
  let acc = 0;
  let accBits = 0;
  let o = 0;
  for (let i = 1; i < text.length; i++) {
    const value = text.charCodeAt(i) - OFFSET;
    if (value < 0 || value > MASK) throw new CodecError(`invalid packed UTF-16 character at offset ${i}`);
    acc = (acc << BITS) | value;
    accBits += BITS;
    while (accBits >= 8 && o < out.length) {
      accBits -= 8;
      out[o++] = (acc >>> accBits) & 255;
    }
    acc &= (1 << accBits) - 1;
  }
  if (acc !== 0) throw new CodecError("packed UTF-16 data has non-zero padding bits");
  return out;
}
