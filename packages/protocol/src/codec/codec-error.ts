/**
 * Anything `decodeState`/`encodeState` cannot turn into a faithful value: a malformed or unknown envelope,
 * corrupt base64/UTF-16 text, corrupt or oversized compressed data, invalid UTF-8 or JSON. A cached state
 * that throws this is discarded and refetched; it is never half-decoded.
 */
export class CodecError extends Error {
  readonly code = "codec_error" as const;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CodecError";
  }
}
