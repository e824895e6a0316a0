import { z } from "zod";
import { ID_PATTERN, LIMITS } from "../limits.js";

/** Names that reach an object's prototype when used as a key; never valid anywhere (ids, paths, keys). */
export const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(["__proto__", "prototype", "constructor"]);

/** Ids double as JSON Pointer segments and React keys, so they are short and plain. */
export const IdSchema = z
  .string()
  .min(1)
  .max(LIMITS.maxIdLength)
  .regex(ID_PATTERN, "must be letters, digits, _ . : -")
  .refine((id) => !FORBIDDEN_SEGMENTS.has(id), "is a reserved name");

export const LabelSchema = z.string().max(LIMITS.maxLabelLength);
export const TextSchema = z.string().max(LIMITS.maxTextLength);
export const TimestampSchema = z.union([z.iso.datetime({ offset: true }), z.iso.date()]);

/**
 * Accepts `https:`, `http:` and app-relative URLs only. `//host` and `/\host` are rejected because browsers
 * treat them as links to another host; control characters and spaces are rejected because browsers strip
 * them before parsing (`java\tscript:`).
 */
export function isSafeHref(href: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u0020\u007f\\]/.test(href)) return false;
  if (href.startsWith("/")) return !href.startsWith("//");
  if (!/^https?:\/\//i.test(href)) return false;
  try {
    const url = new URL(href);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname.length > 0;
  } catch {
    return false;
  }
}

export const HrefSchema = z
  .string()
  .min(1)
  .max(LIMITS.maxUrlLength)
  .refine(isSafeHref, "only https:, http: and app-relative (/…) links are allowed");

export const LinkSchema = z.strictObject({ label: LabelSchema, href: HrefSchema });

export const listOf = <T extends z.ZodType>(item: T) => z.array(item).max(LIMITS.maxListItems);
