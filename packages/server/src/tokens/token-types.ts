import type {
  TokenChatMessage,
  TokenCountBody,
  TokenCountResponse,
  TokenEncoding,
} from "@agentboard/protocol";

/** The shapes are the protocol's (`POST /api/tokens/count`); in-process callers use the same ones. */
export type EncodingName = TokenEncoding;
export type ChatMessageInput = TokenChatMessage;
/** Exactly one of `text` / `messages`. `model` defaults to DEFAULT_TOKEN_MODEL ("gpt-4o"). */
export type TokenCountInput = TokenCountBody;
/** `exact: false`: the model has no public tokenizer; `tokens` is an o200k-based estimate (docs/mcp.md "Tokens"). */
export type TokenCountResult = TokenCountResponse;
