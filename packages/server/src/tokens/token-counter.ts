import { CL100K_TOKEN_SPLIT_REGEX, O200K_TOKEN_SPLIT_REGEX } from "gpt-tokenizer/encodingParams/constants";
import { chatModelParams, modelToEncodingMap } from "gpt-tokenizer/mapping";
import { invalid } from "../errors/agentboard-errors.js";
import { BytePairCounter, type Counted, type Encoded } from "./byte-pair-counter.js";

export { type Counted, type Encoded, MAX_EXACT_PIECE } from "./byte-pair-counter.js";

import { loadRanks } from "./byte-pair-ranks.js";
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

type GptEncoding = typeof import("gpt-tokenizer/encoding/o200k_base");

/** Text from callers is data: `<|endoftext|>` in it counts as the characters it is, never as a control token. */
export const PLAIN_TEXT = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };

const SPLIT_REGEX: Record<EncodingName, RegExp> = {
  o200k_base: O200K_TOKEN_SPLIT_REGEX,
  cl100k_base: CL100K_TOKEN_SPLIT_REGEX,
};

/**
 * One encoding's tokenizer: counting and encoding are ours (byte-pair-counter.ts, on gpt-tokenizer's rank
 * lists and split regexes); decoding and the chat framing are gpt-tokenizer's.
 */
export interface Tokenizer {
  readonly encoding: EncodingName;
  /** Tokens of plain text, with pieces over MAX_EXACT_PIECE counted in chunks (`exact: false`). */
  count(text: string): Counted;
  /** The tokens `count` counts. */
  encode(text: string): Encoded;
  decode(tokens: readonly number[]): string;
  /** The framing tokens of a chat with these roles and empty contents (encodeChat in `framing`'s format). */
  frameTokens(roles: readonly string[], framing: string): number;
}

const loaded = new Map<EncodingName, Promise<Tokenizer>>();

/**
 * The rank lists are megabytes: an encoding is loaded on first use (o200k ≈ 0.3–0.6 s, once per process), never
 * at server start, and shared by every caller afterwards.
 */
export function loadTokenizer(encoding: EncodingName): Promise<Tokenizer> {
  let pending = loaded.get(encoding);
  if (!pending) {
    const gpt: Promise<GptEncoding> =
      encoding === "o200k_base"
        ? import("gpt-tokenizer/encoding/o200k_base")
        : import("gpt-tokenizer/encoding/cl100k_base");
    pending = Promise.all([gpt, loadRanks(encoding)]).then(([library, ranks]): Tokenizer => {
      const counter = new BytePairCounter(ranks, SPLIT_REGEX[encoding]);
      return {
        encoding,
        count: (text) => counter.count(text),
        encode: (text) => counter.encode(text),
        decode: (tokens) => library.decode(tokens),
        frameTokens: (roles, framing) =>
          library.encodeChat(
            roles.map((role) => ({ role, content: "" })),
            framing as "gpt-4o",
            PLAIN_TEXT,
          ).length,
      };
    });
    // A failed import (a broken install) is not cached, so the next call tries again and reports it again.
    pending.catch(() => loaded.delete(encoding));
    loaded.set(encoding, pending);
  }
  return pending;
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

/**
 * Tokens of a chat as the model sees it: each message framed, plus the reply's priming. In this format every
 * content sits between two special tokens, so it is encoded on its own: the framing comes from encodeChat on
 * empty contents, and each content is counted on its own.
 */
export function countChat(
  tokenizer: Tokenizer,
  messages: readonly ChatMessageInput[],
  framing: string,
): Counted {
  let tokens = tokenizer.frameTokens(
    messages.map(({ role }) => role),
    framing,
  );
  let exact = true;
  for (const { content, name } of messages) {
    const counted = tokenizer.count(content);
    tokens += counted.tokens;
    exact &&= counted.exact;
    if (name !== undefined) {
      const ofName = tokenizer.count(name);
      tokens += ofName.tokens + TOKENS_PER_NAME;
      exact &&= ofName.exact;
    }
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
  const tokenizer = await loadTokenizer(encoding);
  const counted =
    input.text !== undefined
      ? tokenizer.count(input.text)
      : countChat(tokenizer, input.messages ?? [], framing);
  return { tokens: counted.tokens, encoding, exact: resolved.exact && counted.exact };
}
