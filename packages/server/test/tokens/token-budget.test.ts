import { isCallToolResult } from "@modelcontextprotocol/server";
import { getEncoding } from "js-tiktoken";
import { describe, expect, it } from "vitest";
import { DEFAULT_TOKEN_BUDGET, truncateToTokenBudget } from "../../src/tokens/index.js";
import { textCorpus } from "./corpus.js";

/**
 * truncateToTokenBudget, the cut the MCP gateway applies to each upstream result (its public surface through
 * /mcp is tested with the gateway). Counts are checked against js-tiktoken's o200k_base.
 */
const o200k = getEncoding("o200k_base");
const tokensOf = (text: string) => o200k.encode(text, [], []).length;
type Result = Awaited<ReturnType<typeof truncateToTokenBudget>>;

/** What a model reads of a result, counted independently of the code under test. */
function readTokens(result: Result): number {
  let total = 0;
  for (const block of result.content) if (block.type === "text") total += tokensOf(block.text);
  if (result.structuredContent !== undefined) total += tokensOf(JSON.stringify(result.structuredContent));
  return total;
}

const MARKER =
  /^\[agentboard: cut ([\d,]+) of ([\d,]+) tokens \(o200k\) to fit this server's tokenBudget of ([\d,]+)/;
const num = (s: string | undefined) => Number((s ?? "").replaceAll(",", ""));
const prose = textCorpus().find((s) => s.name === "all fixtures")?.text ?? "";

describe("truncateToTokenBudget", () => {
  it("returns a result within budget unchanged (the same object)", async () => {
    const result = { content: [{ type: "text" as const, text: prose }], structuredContent: { ok: true } };
    expect(await truncateToTokenBudget(result, DEFAULT_TOKEN_BUDGET)).toBe(result);
  });

  it("cuts text over budget to a prefix and says what was cut, within budget", async () => {
    const text = prose.repeat(20);
    const total = tokensOf(text);
    const budget = 1_000;
    const cut = await truncateToTokenBudget({ content: [{ type: "text", text }] }, budget);
    expect(isCallToolResult(cut)).toBe(true);
    expect(readTokens(cut)).toBeLessThanOrEqual(budget);
    const [kept, marker] = cut.content as { type: "text"; text: string }[];
    expect(text.startsWith(kept?.text ?? "")).toBe(true);
    const m = MARKER.exec(marker?.text ?? "");
    expect(m, marker?.text).not.toBeNull();
    expect(num(m?.[2])).toBe(total);
    expect(num(m?.[3])).toBe(budget);
    expect(num(m?.[1])).toBe(total - tokensOf(kept?.text ?? ""));
    expect(cut.isError).toBeUndefined();
  });

  it("keeps earlier parts whole, cuts the one that crosses, drops later text, keeps images", async () => {
    const image = { type: "image" as const, data: "iVBORw0KGgo=", mimeType: "image/png" };
    const result = {
      content: [
        { type: "text" as const, text: "first part" },
        image,
        { type: "text" as const, text: prose.repeat(5) },
        { type: "text" as const, text: "last part, dropped" },
      ],
    };
    const cut = await truncateToTokenBudget(result, 300);
    expect(cut.content[0]).toEqual({ type: "text", text: "first part" });
    expect(cut.content[1]).toEqual(image);
    expect(cut.content.some((b) => b.type === "text" && b.text.includes("last part"))).toBe(false);
    expect(readTokens(cut)).toBeLessThanOrEqual(300);
    expect(cut.content.at(-1)).toMatchObject({ type: "text", text: expect.stringMatching(MARKER) });
  });

  it("keeps structuredContent whole when it fits and cuts the text around it", async () => {
    const structuredContent = { rows: [1, 2, 3], note: "small" };
    const cut = await truncateToTokenBudget(
      { content: [{ type: "text", text: prose.repeat(5) }], structuredContent },
      500,
    );
    expect(cut.structuredContent).toEqual(structuredContent);
    expect(cut.isError).toBeUndefined();
    expect(readTokens(cut)).toBeLessThanOrEqual(500);
  });

  it("drops structuredContent that cannot fit, cuts its JSON as text and marks the result isError", async () => {
    const structuredContent = {
      items: Array.from({ length: 2_000 }, (_, i) => ({ id: i, name: `item ${i}` })),
    };
    const cut = await truncateToTokenBudget({ content: [], structuredContent }, 400);
    expect(cut.structuredContent).toBeUndefined();
    expect(cut.isError).toBe(true);
    expect(isCallToolResult(cut)).toBe(true);
    const [json, marker] = cut.content as { type: "text"; text: string }[];
    expect(JSON.stringify(structuredContent).startsWith(json?.text ?? "x")).toBe(true);
    expect(marker?.text).toMatch(/structuredContent did not fit/);
    expect(readTokens(cut)).toBeLessThanOrEqual(400);
  });

  it("never leaves half a character at the cut (CJK, emoji)", async () => {
    const text =
      `${textCorpus().find((s) => s.name === "emoji.txt")?.text}${textCorpus().find((s) => s.name === "cjk.txt")?.text}`.repeat(
        10,
      );
    for (const budget of [50, 77, 123, 301]) {
      const cut = await truncateToTokenBudget({ content: [{ type: "text", text }] }, budget);
      const kept = (cut.content[0] as { text: string }).text;
      expect(kept).not.toMatch(/\uFFFD/u);
      expect(text.startsWith(kept)).toBe(true);
      expect(readTokens(cut)).toBeLessThanOrEqual(budget);
    }
  });

  it("refuses a budget that is not a positive integer", async () => {
    await expect(truncateToTokenBudget({ content: [] }, 0)).rejects.toThrow(RangeError);
  });
});
