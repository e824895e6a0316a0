import { describe, expect, it } from "vitest";
import { assertAllowedUrl, SsrfBlockedError } from "../../src/net/ssrf-guard.js";

describe("the SSRF guard's private origins", () => {
  const own = new Set(["http://127.0.0.1:4321"]);

  it("refuses loopback without an opt-in", async () => {
    await expect(assertAllowedUrl("http://127.0.0.1:4321/.well-known/agent-card.json")).rejects.toThrow(
      SsrfBlockedError,
    );
  });

  it("admits exactly the listed origin on loopback, nothing next to it", async () => {
    await expect(assertAllowedUrl("http://127.0.0.1:4321/a2a", { privateOrigins: own })).resolves.toEqual([
      "127.0.0.1",
    ]);
    for (const other of [
      "http://127.0.0.1:4322/a2a",
      "https://127.0.0.1:4321/a2a",
      "http://10.0.0.1:4321/",
    ]) {
      await expect(assertAllowedUrl(other, { privateOrigins: own })).rejects.toThrow(/loopback, private/);
    }
  });

  it("never admits a metadata address, listed or not", async () => {
    await expect(
      assertAllowedUrl("http://169.254.169.254/latest", {
        privateOrigins: new Set(["http://169.254.169.254"]),
      }),
    ).rejects.toThrow(/metadata/);
  });
});
