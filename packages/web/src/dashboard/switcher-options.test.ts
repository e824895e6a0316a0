import { describe, expect, it } from "vitest";
import { switcherOptions } from "./switcher-options";

const at = "2026-01-01T00:00:00.000Z";

describe("switcherOptions", () => {
  it("puts the user's own dashboard at / first, then shared ones at /d/<slug>", () => {
    const items = [
      { id: "user:usr_me", title: "me", kind: "personal" as const, rev: 2, updatedAt: at },
      { id: "user:usr_other", title: "other", kind: "personal" as const, rev: 0, updatedAt: null },
      { id: "ops", title: "ops", kind: "shared" as const, rev: 1, updatedAt: at },
      { id: "team-x", kind: "shared" as const, rev: 1, updatedAt: at },
    ];
    expect(switcherOptions(items, "ops")).toEqual([
      { path: "/", label: "My dashboard" },
      { path: "/d/ops", label: "ops" },
      { path: "/d/team-x", label: "team-x" },
    ]);
  });

  it("keeps the dashboard on screen as a choice when it is not listed (a shared one never written)", () => {
    expect(switcherOptions([], "fresh")).toEqual([
      { path: "/", label: "My dashboard" },
      { path: "/d/fresh", label: "fresh" },
    ]);
    expect(switcherOptions([], "me")).toEqual([{ path: "/", label: "My dashboard" }]);
  });
});
