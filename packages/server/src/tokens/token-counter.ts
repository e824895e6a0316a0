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
const PLAIN_TEXT = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };

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

/** Tokens of a chat as the model sees it: each message framed, plus the reply's priming. */
export function countChat(encoder: Encoder, messages: readonly ChatMessageInput[], framing: string): number {
  const roleAndContent = messages.map(({ role, content }) => ({ role, content }));
  let tokens = encoder.encodeChat(roleAndContent, framing as "gpt-4o", PLAIN_TEXT).length;
  for (const { name } of messages) {
    if (name !== undefined) tokens += encoder.encode(name, PLAIN_TEXT).length + TOKENS_PER_NAME;
  }
  return tokens;
}

export function countText(encoder: Encoder, text: string): number {
  return encoder.encode(text, PLAIN_TEXT).length;
}

/**
 * Counts `text` or `messages` (exactly one; the HTTP schema enforces it, this re-checks for in-process callers)
 * with the model's tokenizer. Throws `invalid` for an unknown model or a bad input.
 */
export async function countTokens(input: TokenCountInput): Promise<TokenCountResult> {
  const { encoding, exact, framing } = resolveModel(input.model);
  if ((input.text === undefined) === (input.messages === undefined)) {
    throw invalid("give exactly one of text and messages");
  }
  const encoder = await loadEncoder(encoding);
  const tokens =
    input.text !== undefined
      ? countText(encoder, input.text)
      : countChat(encoder, input.messages ?? [], framing);
  return { tokens, encoding, exact };
}
