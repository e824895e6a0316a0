import type { TokenCountBody, TokenCountResponse } from "@agentboard/protocol";
import type { RequestFunction, RequestOptions } from "./request.js";

/** `board.tokens`: token counts as the server's tokenizers see them (`POST /api/tokens/count`). */
export interface TokensClient {
  /**
   * Tokens of `text`, or of chat `messages` with the model's chat framing (exactly one of the two). `model`
   * defaults to gpt-4o; claude-* / gemini-* models get an o200k-based estimate with `exact: false`; any other
   * unknown model is an ApiRequestError `invalid` whose details list the known ones.
   */
  count(input: TokenCountBody, options?: RequestOptions): Promise<TokenCountResponse>;
}

export function createTokensClient(request: RequestFunction): TokensClient {
  return {
    count: (input, options) => request<TokenCountResponse>("POST", "/api/tokens/count", input, options),
  };
}
