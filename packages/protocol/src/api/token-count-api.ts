import { z } from "zod";

/**
 * `POST /api/tokens/count` (contract.md "MCP"). The body is bounded by bytes (`maxBodyBytes`, a 413 past it)
 * because counting is synchronous CPU work on the server: ~0.15 s per MiB of text with o200k_base.
 */
export const TOKEN_COUNT_LIMITS = {
  maxBodyBytes: 1024 * 1024,
  maxMessages: 4_096,
  maxModelLength: 100,
  /** OpenAI caps `name` at 64 characters; roles are short words. */
  maxRoleLength: 64,
} as const;

export const TokenEncodingSchema = z.enum(["o200k_base", "cl100k_base"]);
export type TokenEncoding = z.infer<typeof TokenEncodingSchema>;

export const TokenChatMessageSchema = z.strictObject({
  role: z.string().min(1).max(TOKEN_COUNT_LIMITS.maxRoleLength),
  content: z.string(),
  /** Counted by OpenAI's rule: its tokens plus 1. */
  name: z.string().min(1).max(TOKEN_COUNT_LIMITS.maxRoleLength).optional(),
});
export type TokenChatMessage = z.infer<typeof TokenChatMessageSchema>;

/** Exactly one of `text` (counted as is) and `messages` (counted with the chat framing the model sees). */
export const TokenCountBodySchema = z
  .strictObject({
    /** Default `gpt-4o`. `claude-*` / `gemini-*`: an o200k-based estimate (`exact: false`); others: 422. */
    model: z.string().min(1).max(TOKEN_COUNT_LIMITS.maxModelLength).optional(),
    text: z.string().optional(),
    messages: z.array(TokenChatMessageSchema).max(TOKEN_COUNT_LIMITS.maxMessages).optional(),
  })
  .refine((body) => (body.text === undefined) !== (body.messages === undefined), {
    message: "give exactly one of text and messages",
    path: ["text"],
  });
export type TokenCountBody = z.infer<typeof TokenCountBodySchema>;

export const TokenCountResponseSchema = z.object({
  tokens: z.number().int().nonnegative(),
  encoding: TokenEncodingSchema,
  /** false: the model has no public tokenizer and `tokens` is an estimate (docs/mcp.md "Tokens"). */
  exact: z.boolean(),
});
export type TokenCountResponse = z.infer<typeof TokenCountResponseSchema>;
