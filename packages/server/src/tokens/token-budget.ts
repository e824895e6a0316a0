import type { CallToolResult } from "@modelcontextprotocol/server";
import { loadTokenizer, type Tokenizer } from "./token-counter.js";

/** contract.md: an upstream server's `tokenBudget` when its config entry names none. */
export const DEFAULT_TOKEN_BUDGET = 25_000;

/** Budgets are counted with o200k_base whatever model reads the result: the gateway does not know the model. */
const BUDGET_ENCODING = "o200k_base" as const;

type ContentBlock = CallToolResult["content"][number];

const countText = (tokenizer: Tokenizer, text: string): number => tokenizer.count(text).tokens;

const numberFormat = new Intl.NumberFormat("en-US");

/** Where a result carries text a model reads: a text part, or an embedded resource with `text`. */
function textOf(block: ContentBlock): string | undefined {
  if (block.type === "text") return block.text;
  if (block.type === "resource" && "text" in block.resource && typeof block.resource.text === "string") {
    return block.resource.text;
  }
  return undefined;
}

function withText(block: ContentBlock, text: string): ContentBlock {
  if (block.type === "text") return { ...block, text };
  if (block.type === "resource") return { ...block, resource: { ...block.resource, text } } as ContentBlock;
  return block;
}

function marker(cut: number, total: number, budget: number, droppedStructured: boolean): string {
  const what = droppedStructured
    ? " (structuredContent did not fit: it is dropped and its JSON cut as text)"
    : "";
  return `[agentboard: cut ${numberFormat.format(cut)} of ${numberFormat.format(total)} tokens (o200k) to fit this server's tokenBudget of ${numberFormat.format(budget)}${what}]`;
}

/** The first `limit` tokens of `text` as text, without a half character at the cut. */
function prefix(tokenizer: Tokenizer, text: string, limit: number): string {
  if (limit <= 0) return "";
  const { tokens } = tokenizer.encode(text);
  if (tokens.length <= limit) return text;
  return tokenizer.decode(tokens.slice(0, limit)).replace(/\uFFFD+$/u, "");
}

/** Tokens of the text a model reads in `result`: its text parts, embedded text resources and structuredContent. */
export function countResultTokens(tokenizer: Tokenizer, result: CallToolResult): number {
  let total = 0;
  for (const block of result.content ?? []) {
    const text = textOf(block);
    if (text !== undefined) total += countText(tokenizer, text);
  }
  if (result.structuredContent !== undefined)
    total += countText(tokenizer, JSON.stringify(result.structuredContent));
  return total;
}

/**
 * Fits an upstream tool result into `budget` o200k tokens (text parts, embedded text resources and
 * structuredContent's JSON; images, audio and resource links are kept as they are and not counted: they are
 * not text a tokenizer sees). A result within budget comes back as the same object.
 *
 * Over budget, earlier content wins: text blocks are kept in order until the budget is used, the block that
 * crosses it is cut to a prefix and later text blocks are dropped; a text block with the marker
 * "[agentboard: cut N of M tokens (o200k) …]" is appended. structuredContent is kept whole when it fits (a JSON
 * prefix is not valid JSON, and clients validate it against the tool's outputSchema). When it alone does not fit,
 * it is dropped, its JSON is cut as a text block instead, and the result is marked `isError: true`: MCP clients
 * require structuredContent from tools with an outputSchema unless the result is an error, so this is the
 * only valid shape that tells the caller the result is incomplete.
 */
export async function truncateToTokenBudget(result: CallToolResult, budget: number): Promise<CallToolResult> {
  if (!Number.isInteger(budget) || budget < 1)
    throw new RangeError(`tokenBudget must be a positive integer, got ${budget}`);
  const tokenizer = await loadTokenizer(BUDGET_ENCODING);
  const total = countResultTokens(tokenizer, result);
  if (total <= budget) return result;

  const structuredJson =
    result.structuredContent !== undefined ? JSON.stringify(result.structuredContent) : undefined;
  const structuredTokens = structuredJson !== undefined ? countText(tokenizer, structuredJson) : 0;
  // The marker's own tokens come out of the budget; its numbers are at most as long as `total`.
  const reserve = (drop: boolean) => countText(tokenizer, marker(total, total, budget, drop)) + 1;
  const keepStructured = structuredJson !== undefined && structuredTokens + reserve(false) <= budget;
  const dropStructured = structuredJson !== undefined && !keepStructured;

  const build = (available: number): CallToolResult => {
    let left = available;
    const content: ContentBlock[] = [];
    const texts: { text: string }[] = [];
    for (const block of result.content ?? []) {
      const text = textOf(block);
      if (text === undefined) {
        content.push(block);
        continue;
      }
      if (left <= 0) continue;
      const tokens = countText(tokenizer, text);
      if (tokens <= left) {
        content.push(block);
        left -= tokens;
      } else {
        const cut = prefix(tokenizer, text, left);
        if (cut.length > 0) content.push(withText(block, cut));
        left = 0;
      }
    }
    if (dropStructured && structuredJson !== undefined && left > 0) {
      texts.push({ text: prefix(tokenizer, structuredJson, left) });
    }
    for (const { text } of texts) if (text.length > 0) content.push({ type: "text", text });
    const out: CallToolResult = { ...result, content };
    if (dropStructured) {
      delete out.structuredContent;
      out.isError = true;
    }
    return out;
  };

  let available = budget - reserve(dropStructured) - (keepStructured ? structuredTokens : 0);
  // A decoded prefix re-encodes to at most a token or two more at the cut; shave until the whole result fits.
  for (;;) {
    const cutResult = build(available);
    const kept = countResultTokens(tokenizer, cutResult);
    const withMarker: CallToolResult = {
      ...cutResult,
      content: [
        ...cutResult.content,
        { type: "text", text: marker(total - kept, total, budget, dropStructured) },
      ],
    };
    if (countResultTokens(tokenizer, withMarker) <= budget || available <= 0) return withMarker;
    available -= countResultTokens(tokenizer, withMarker) - budget;
  }
}
