import { createHash, randomBytes } from "node:crypto";

/** API tokens are `ab_` + 256 random bits; sessions and login codes get their own prefixes so leaks are recognisable. */
export const TOKEN_PREFIX = { api: "ab_", session: "abs_", login_code: "abl_" } as const;
export type SecretKind = keyof typeof TOKEN_PREFIX;

export function generateSecret(kind: SecretKind): string {
  return TOKEN_PREFIX[kind] + randomBytes(32).toString("base64url");
}

/** Only this digest is stored; looking a token up by its digest reveals nothing about other tokens. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString("base64url").replace(/[-_]/g, "x")}`;
}
