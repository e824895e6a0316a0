// The codec's public surface, re-exported whole by the package index; its internals (base64, size limits)
// are imported from their own modules.
export {
  CODEC_VERSION,
  DEFAULT_STATE_ENCODING,
  type DecodeStateOptions,
  decodeState,
  type EncodedState,
  EncodedStateSchema,
  type EncodeStateOptions,
  encodeState,
  parseEncodedState,
  STATE_ENCODINGS,
  type StateEncoding,
  serializeEncodedState,
} from "./codec.js";
export { CodecError } from "./codec-error.js";
