export { base64ToBytes, bytesToBase64 } from "./base64.js";
export {
  CODEC_VERSION,
  DEFAULT_MAX_DECODED_BYTES,
  DEFAULT_STATE_ENCODING,
  type DecodeStateOptions,
  decodeState,
  type EncodedState,
  EncodedStateSchema,
  type EncodeStateOptions,
  encodeState,
  parseEncodedState,
  SMALL_JSON_CHARS,
  STATE_ENCODINGS,
  type StateEncoding,
  serializeEncodedState,
} from "./codec.js";
export { CodecError } from "./codec-error.js";
