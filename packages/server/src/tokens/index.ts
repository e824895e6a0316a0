/**
 * Token counting (issue 15 step 4). The one import path for other capabilities: the MCP gateway cuts upstream
 * tool results with `truncateToTokenBudget`, the REST route counts with `countTokens`.
 *
 * Both are async because the BPE encodings (o200k_base ≈ 2 MB of ranks, cl100k_base ≈ 1 MB) are loaded on first
 * use with a dynamic import, not at server start; after that, each call is synchronous work on the event loop.
 */

export { DEFAULT_TOKEN_BUDGET, truncateToTokenBudget } from "./token-budget.js";
export { countTokens, DEFAULT_TOKEN_MODEL, knownModels } from "./token-counter.js";
export type { ChatMessageInput, EncodingName, TokenCountInput, TokenCountResult } from "./token-types.js";
export { tokensPlugin } from "./tokens-plugin.js";
