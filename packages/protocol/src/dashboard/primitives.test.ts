import { describe, expect, it } from "vitest";
import { LIMITS } from "../limits.js";
import {
  FORBIDDEN_SEGMENTS,
  HrefSchema,
  IdSchema,
  isSafeHref,
  LinkSchema,
  TimestampSchema,
} from "./primitives.js";

describe("isSafeHref", () => {
  const rejected = [
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "JavaScript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    " javascript:alert(1)",
    "\u0000javascript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "//evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "https:evil.com",
    "https://",
    "relative/path",
    "",
    "https://exa mple.com",
    "https://x/\u007f",
  ];
  const accepted = [
    "https://x",
    "http://x/y",
    "HTTPS://EXAMPLE.COM/path",
    "https://example.com:8443/a?b=c#d",
    "/relative?q",
    "/",
    "/dashboards/team-1#widget",
  ];
  it.each([
    ...rejected.map((href) => ({ verdict: "rejects", href, safe: false })),
    ...accepted.map((href) => ({ verdict: "accepts", href, safe: true })),
  ])("$verdict $href", ({ href, safe }) => {
    expect(isSafeHref(href)).toBe(safe);
  });
});

describe("HrefSchema and LinkSchema", () => {
  it("applies isSafeHref and the URL length limit", () => {
    expect(HrefSchema.safeParse("https://x").success).toBe(true);
    expect(HrefSchema.safeParse("javascript:alert(1)").success).toBe(false);
    expect(HrefSchema.safeParse("").success).toBe(false);
    const path = `/${"a".repeat(LIMITS.maxUrlLength - 1)}`;
    expect(HrefSchema.safeParse(path).success).toBe(true);
    expect(HrefSchema.safeParse(`${path}a`).success).toBe(false);
  });

  it("is a strict {label, href}", () => {
    expect(LinkSchema.safeParse({ label: "Docs", href: "/docs" }).success).toBe(true);
    expect(LinkSchema.safeParse({ label: "Docs", href: "/docs", target: "_blank" }).success).toBe(false);
    expect(LinkSchema.safeParse({ label: "Docs", href: "//evil.com" }).success).toBe(false);
    expect(
      LinkSchema.safeParse({ label: "x".repeat(LIMITS.maxLabelLength + 1), href: "/docs" }).success,
    ).toBe(false);
  });
});

describe("IdSchema", () => {
  it.each(["a", "A1", "w-1", "user:42", "a.b_c", "0"])("accepts %j", (id) => {
    expect(IdSchema.safeParse(id).success).toBe(true);
  });

  it.each(["", "-a", "_a", ".a", "a b", "a/b", "a~b", "é", ...FORBIDDEN_SEGMENTS])("rejects %j", (id) => {
    expect(IdSchema.safeParse(id).success).toBe(false);
  });

  it(`accepts ${LIMITS.maxIdLength} characters and rejects one more`, () => {
    expect(IdSchema.safeParse("a".repeat(LIMITS.maxIdLength)).success).toBe(true);
    expect(IdSchema.safeParse("a".repeat(LIMITS.maxIdLength + 1)).success).toBe(false);
  });
});

describe("TimestampSchema", () => {
  it("accepts ISO date-times with offset and plain dates, rejects other strings", () => {
    expect(TimestampSchema.safeParse("2024-05-01T12:00:00Z").success).toBe(true);
    expect(TimestampSchema.safeParse("2024-05-01T12:00:00.123+02:00").success).toBe(true);
    expect(TimestampSchema.safeParse("2024-05-01").success).toBe(true);
    expect(TimestampSchema.safeParse("yesterday").success).toBe(false);
    expect(TimestampSchema.safeParse("2024-13-01").success).toBe(false);
    expect(TimestampSchema.safeParse(1714564800000).success).toBe(false);
  });
});
