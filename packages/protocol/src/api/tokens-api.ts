import { z } from "zod";
import { PrincipalKindSchema, UserRoleSchema } from "./identity-api.js";

/** Ids the server makes (`tok_…`, `usr_…`, `agt_…`): a bounded charset, so a path parameter is never odd. */
const ServerIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "an id of A-Z, a-z, 0-9, _ and -");

/**
 * One live credential (`GET /api/tokens`): an API token or a browser session, never a one-time login code,
 * never the secret or its digest. `kind`, `name` and `role` describe the principal that holds it (as in
 * `GET /api/members`); `tokenKind` says which of the two credentials it is.
 */
export const TokenListItemSchema = z.object({
  id: z.string(),
  tokenKind: z.enum(["api", "session"]),
  kind: PrincipalKindSchema,
  name: z.string(),
  principalId: z.string(),
  role: UserRoleSchema.optional(),
  createdAt: z.string(),
  /** Sessions only; API tokens do not expire. */
  expiresAt: z.string().optional(),
  /** When the credential last authenticated a request, to the minute (absent: never used). */
  lastUsedAt: z.string().optional(),
});
export type TokenListItem = z.infer<typeof TokenListItemSchema>;

export const TokenListResponseSchema = z.object({ items: z.array(TokenListItemSchema) });
export type TokenListResponse = z.infer<typeof TokenListResponseSchema>;

/** `:id` of `DELETE /api/tokens/:id` and of `PATCH|DELETE /api/members/:id`. */
export const TokenParamsSchema = z.object({ id: ServerIdSchema });
export const MemberParamsSchema = z.object({ id: ServerIdSchema });

/** `PATCH /api/members/:id`: a user's new role. */
export const MemberRoleBodySchema = z.strictObject({ role: UserRoleSchema });
export type MemberRoleBody = z.infer<typeof MemberRoleBodySchema>;
