import { describe, expect, it } from "vitest";
import { deriveSyncStatus } from "./sync-status";

describe("deriveSyncStatus", () => {
  it("maps the SDK status plus reachability to connected | reconnecting | offline", () => {
    expect(deriveSyncStatus("connected", true, false)).toBe("connected");
    expect(deriveSyncStatus("offline", false, true)).toBe("offline");
    expect(deriveSyncStatus("connecting", false, true)).toBe("reconnecting");
    expect(deriveSyncStatus("reconnecting", false, true)).toBe("reconnecting");
    expect(deriveSyncStatus("reconnecting", true, true)).toBe("offline");
    expect(deriveSyncStatus("connecting", false, false)).toBe("offline");
  });
});
