import { describe, expect, it } from "vitest";
import { formatCountdown, formatRelative } from "./time";

describe("time formatting", () => {
  const now = Date.parse("2025-03-14T12:00:00Z");
  it("relative times", () => {
    expect(formatRelative(now - 10_000, now)).toBe("just now");
    expect(formatRelative(now - 5 * 60_000, now)).toBe("5 min ago");
    expect(formatRelative(now - 3 * 3_600_000, now)).toBe("3 h ago");
    expect(formatRelative(now + 2 * 86_400_000, now)).toBe("in 2 d");
  });
  it("countdowns", () => {
    expect(formatCountdown(now + 65_000, now)).toBe("1m 05s");
    expect(formatCountdown(now + 2 * 3_600_000 + 600_000, now)).toBe("2h 10m");
    expect(formatCountdown(now + 3 * 86_400_000 + 4 * 3_600_000, now)).toBe("3d 4h");
    expect(formatCountdown(now - 1, now)).toBe("expired");
  });
});
