import { invalid } from "../errors/agentboard-errors.js";
import type { ListPosition } from "./approval-store.js";

/**
 * The `cursor` of `GET /api/approvals`: the keyset position of the last item served, as opaque base64url
 * JSON. Opaque so clients do not build their own, and keyset (not offset) so a page never skips or repeats
 * rows when new approvals arrive between requests.
 */
export function encodeCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id]), "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): ListPosition {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      Array.isArray(value) &&
      value.length === 2 &&
      typeof value[0] === "string" &&
      typeof value[1] === "string"
    ) {
      return { createdAt: value[0], id: value[1] };
    }
  } catch {
    // fall through: any undecodable cursor is the same client error
  }
  throw invalid("cursor is not a cursor this server issued");
}
