import { CL100K_TOKEN_SPLIT_REGEX, O200K_TOKEN_SPLIT_REGEX } from "gpt-tokenizer/encodingParams/constants";
import { chatModelParams, modelToEncodingMap } from "gpt-tokenizer/mapping";
import { invalid } from "../errors/agentboard-errors.js";
import type { ChatMessageInput, EncodingName, TokenCountInput, TokenCountResult } from "./token-types.js";

/** The model counted when a request names none: today's common OpenAI chat model (o200k_base). */
export const DEFAULT_TOKEN_MODEL = "gpt-4o";

/**
 * Model families without a public tokenizer. Their counts are o200k_base counts labelled `exact: false`;
 * docs/mcp.md "Tokens" states how far two real BPE vocabularies differ on our corpus, the only bound we can
 * measure without the vendor's tokenizer.
 */
const ESTIMATED_MODEL_PREFIXES = ["claude-", "gemini-"] as const;

/**
 * Chat framing follows OpenAI's documented rule (cookbook "How to count tokens with tiktoken": 3 tokens per
 * message, the role and content, 1 more per `name` plus its tokens, 3 to prime the reply). gpt-tokenizer's
 * encodeChat renders exactly that for the `<|im_sep|>` chat format, so we always ask it for that format:
 * its gpt-3.5 parameters are the retired 0301 format (4 per message) that OpenAI no longer documents.
 */
const FRAMING_MODEL = { o200k_base: "gpt-4o", cl100k_base: "gpt-4" } as const satisfies Record<
  EncodingName,
  string
>;

/** The cookbook's `tokens_per_name`; encodeChat would render a name in place of the role instead. */
const TOKENS_PER_NAME = 1;

type Encoder = typeof import("gpt-tokenizer/encoding/o200k_base");

const loaded = new Map<EncodingName, Promise<Encoder>>();

/**
 * The encodings are megabytes of ranks: each is imported on first use (o200k ≈ 0.3–0.6 s, once per process),
 * never at server start, and shared by every caller afterwards.
 */
export function loadEncoder(encoding: EncodingName): Promise<Encoder> {
  let pending = loaded.get(encoding);
  if (!pending) {
    pending =
      encoding === "o200k_base"
        ? import("gpt-tokenizer/encoding/o200k_base")
        : import("gpt-tokenizer/encoding/cl100k_base");
    // A failed import (a broken install) is not cached, so the next call tries again and reports it again.
    pending.catch(() => loaded.delete(encoding));
    loaded.set(encoding, pending);
  }
  return pending;
}

/** Text from callers is data: `<|endoftext|>` in it counts as the characters it is, never as a control token. */
export const PLAIN_TEXT = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };

/**
 * BPE merges within one pre-tokenizer piece (a run of letters, of punctuation, of whitespace) in quadratic time:
 * 100,000 "x" in a row take gpt-tokenizer 20 s, so one request could hold the event loop for minutes. Pieces
 * longer than this (UTF-16 units) are encoded in chunks of this size and the count is labelled `exact: false`;
 * real text rarely has them (words, indents and CJK clauses between punctuation are shorter). Measured worst
 * case with it: ~5 s for 1 MB of random letters without spaces (1 s for 1 MB of ordinary text).
 */
export const MAX_EXACT_PIECE = 200;

const SPLIT_REGEX: Record<EncodingName, RegExp> = {
  o200k_base: O200K_TOKEN_SPLIT_REGEX,
  cl100k_base: CL100K_TOKEN_SPLIT_REGEX,
};

/**
 * A linear pre-check, so ordinary text pays nothing for the guard: a piece longer than `limit` lies inside a run
 * of non-digit non-space characters or of whitespace (digits always split pieces; non-ASCII and CR/LF count for
 * both runs, since they may be letters, symbols or spaces). Only text with such a run is scanned with the
 * encoding's own split regex, which costs about half an encode.
 */
function hasLongRun(text: string, limit: number): boolean {
  if (text.length <= limit) return false;
  let word = 0;
  let space = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80 || c === 10 || c === 13) {
      word++;
      space++;
    } else if (c === 32 || c === 9 || c === 11 || c === 12) {
      space++;
      word = 0;
    } else if (c >= 48 && c <= 57) {
      word = 0;
      space = 0;
    } else {
      word++;
      space = 0;
    }
    if (word > limit || space > limit) return true;
  }
  return false;
}

export interface Encoded {
  tokens: number[];
  /** false when a piece over MAX_EXACT_PIECE was encoded in chunks. */
  exact: boolean;
}

/**
 * Hands `text` to `take` in parts the encoder takes without its quadratic worst case: pieces over
 * MAX_EXACT_PIECE in chunks of that size, the text between them as it is. Returns false if any piece was cut.
 */
function forEachBoundedPart(encoding: EncodingName, text: string, take: (part: string) => void): boolean {
  let exact = true;
  let done = 0;
  for (const match of text.matchAll(SPLIT_REGEX[encoding])) {
    const piece = match[0];
    if (piece.length <= MAX_EXACT_PIECE) continue;
    exact = false;
    if (match.index > done) take(text.slice(done, match.index));
    for (let start = 0; start < piece.length; ) {
      let end = Math.min(start + MAX_EXACT_PIECE, piece.length);
      // Never split a surrogate pair: half an emoji would encode as replacement bytes.
      const last = piece.charCodeAt(end - 1);
      if (end < piece.length && last >= 0xd800 && last <= 0xdbff) end--;
      take(piece.slice(start, end));
      start = end;
    }
    done = match.index + piece.length;
  }
  if (done < text.length) take(text.slice(done));
  return exact;
}

/** `encoder.encode(text)` with the quadratic worst case cut off (see MAX_EXACT_PIECE). */
export function encodeBounded(encoder: Encoder, encoding: EncodingName, text: string): Encoded {
  if (!hasLongRun(text, MAX_EXACT_PIECE)) return { tokens: encoder.encode(text, PLAIN_TEXT), exact: true };
  const tokens: number[] = [];
  const exact = forEachBoundedPart(encoding, text, (part) => {
    for (const token of encoder.encode(part, PLAIN_TEXT)) tokens.push(token);
  });
  return { tokens, exact };
}

function exactEncodingOf(model: string): EncodingName | undefined {
  const mapped = (modelToEncodingMap as Record<string, string>)[model];
  if (mapped === "cl100k_base") return "cl100k_base";
  // modelToEncodingMap lists only models NOT on the default encoding; o200k models are the chat models
  // gpt-tokenizer knows that are absent from it.
  if (mapped === undefined && model in chatModelParams) return "o200k_base";
  return undefined;
}

let knownModelList: readonly string[] | undefined;

/** Every model name counted exactly, sorted (the 422 for an unknown model lists them). */
export function knownModels(): readonly string[] {
  knownModelList ??= [...new Set([...Object.keys(chatModelParams), ...Object.keys(modelToEncodingMap)])]
    .filter((model) => exactEncodingOf(model) !== undefined)
    .sort();
  return knownModelList;
}

export interface ResolvedModel {
  encoding: EncodingName;
  exact: boolean;
  framing: string;
}

/**
 * A model we cannot name the tokenizer of is a 422, not a silent estimate: a typo ("gpt4o") would otherwise
 * return a plausible number for the wrong tokenizer. Families without a public tokenizer get an estimate
 * labelled `exact: false`.
 */
export function resolveModel(model: string = DEFAULT_TOKEN_MODEL): ResolvedModel {
  const encoding = exactEncodingOf(model);
  if (encoding) return { encoding, exact: true, framing: FRAMING_MODEL[encoding] };
  if (ESTIMATED_MODEL_PREFIXES.some((prefix) => model.startsWith(prefix))) {
    return { encoding: "o200k_base", exact: false, framing: FRAMING_MODEL.o200k_base };
  }
  throw invalid(`unknown model "${model}": name one of details.knownModels, or a claude-* / gemini-* model`, {
    knownModels: knownModels(),
    estimatedFamilies: ESTIMATED_MODEL_PREFIXES.map((prefix) => `${prefix}*`),
  });
}

export interface Counted {
  tokens: number;
  exact: boolean;
}

/**
 * What `encodeBounded(…).tokens.length` would say, through gpt-tokenizer's `countTokens`, which walks the same
 * BPE without building the token array.
 */
export function countText(encoder: Encoder, encoding: EncodingName, text: string): Counted {
  if (!hasLongRun(text, MAX_EXACT_PIECE))
    return { tokens: encoder.countTokens(text, PLAIN_TEXT), exact: true };
  let tokens = 0;
  const exact = forEachBoundedPart(encoding, text, (part) => {
    tokens += encoder.countTokens(part, PLAIN_TEXT);
  });
  return { tokens, exact };
}

/**
 * Tokens of a chat as the model sees it: each message framed, plus the reply's priming. In this format every
 * content sits between two special tokens, so it is encoded on its own: the framing comes from encodeChat on
 * empty contents, and each content is counted with the bounded encoder.
 */
export function countChat(
  encoder: Encoder,
  encoding: EncodingName,
  messages: readonly ChatMessageInput[],
  framing: string,
): Counted {
  const frames = messages.map(({ role }) => ({ role, content: "" }));
  let tokens = encoder.encodeChat(frames, framing as "gpt-4o", PLAIN_TEXT).length;
  let exact = true;
  for (const { content, name } of messages) {
    const counted = countText(encoder, encoding, content);
    tokens += counted.tokens;
    exact &&= counted.exact;
    if (name !== undefined) tokens += encoder.countTokens(name, PLAIN_TEXT) + TOKENS_PER_NAME;
  }
  return { tokens, exact };
}

/**
 * Counts `text` or `messages` (exactly one; the HTTP schema enforces it, this re-checks for in-process callers)
 * with the model's tokenizer. Throws `invalid` for an unknown model or a bad input.
 */
export async function countTokens(input: TokenCountInput): Promise<TokenCountResult> {
  const resolved = resolveModel(input.model);
  if ((input.text === undefined) === (input.messages === undefined)) {
    throw invalid("give exactly one of text and messages");
  }
  const { encoding, framing } = resolved;
  const encoder = await loadEncoder(encoding);
  const counted =
    input.text !== undefined
      ? countText(encoder, encoding, input.text)
      : countChat(encoder, encoding, input.messages ?? [], framing);
  return { tokens: counted.tokens, encoding, exact: resolved.exact && counted.exact };
}
