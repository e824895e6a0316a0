import { type Caller, expectApiError, startTestServer, type TestServer } from "@agentboard/test-support";
import { getEncoding, getEncodingNameForModel, type TiktokenModel } from "js-tiktoken";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChatSample, chatCorpus, textCorpus } from "./corpus.js";

/**
 * POST /api/tokens/count against js-tiktoken (the reference port of OpenAI's tiktoken) on a corpus of code,
 * prose, CJK, emoji, edge cases and generated text, for o200k_base and cl100k_base.
 */
const reference = { o200k_base: getEncoding("o200k_base"), cl100k_base: getEncoding("cl100k_base") };
const MODELS = { o200k_base: "gpt-4o", cl100k_base: "gpt-4" } as const;
type Encoding = keyof typeof reference;

/** Caller text is data: special-token strings in it are counted as plain text (allowed: none, disallowed: none). */
const referenceCount = (encoding: Encoding, text: string) => reference[encoding].encode(text, [], []).length;

/**
 * OpenAI's documented chat rule (openai-cookbook "How to count tokens with tiktoken", num_tokens_from_messages):
 * 3 per message + tokens of every value (role, content, name) + 1 per name, and 3 priming the reply.
 */
function referenceChatCount(encoding: Encoding, messages: ChatSample["messages"]): number {
  let tokens = 3;
  for (const message of messages) {
    tokens += 3 + referenceCount(encoding, message.role) + referenceCount(encoding, message.content);
    if (message.name !== undefined) tokens += referenceCount(encoding, message.name) + 1;
  }
  return tokens;
}

let server: TestServer;
let alice: Caller;
const count = (body: unknown) => alice.request("POST", "/api/tokens/count", body);

beforeAll(async () => {
  server = await startTestServer();
  alice = await server.caller({ name: "alice" });
});
afterAll(async () => server?.close());

describe.each(["o200k_base", "cl100k_base"] as const)("%s counts equal js-tiktoken's", (encoding) => {
  const model = MODELS[encoding];

  const samples = [
    ...textCorpus().map((sample) => ({
      name: `text: ${sample.name}`,
      body: { text: sample.text },
      tokens: () => referenceCount(encoding, sample.text),
    })),
    ...chatCorpus().map((sample) => ({
      name: `chat framing: ${sample.name}`,
      body: { messages: sample.messages },
      tokens: () => referenceChatCount(encoding, sample.messages),
    })),
  ];
  it.each(samples)("$name", async ({ body, tokens }) => {
    expect(await count({ model, ...body })).toEqual({
      status: 200,
      body: { tokens: tokens(), encoding, exact: true },
    });
  });
});

describe("models", () => {
  it("defaults to gpt-4o (o200k_base)", async () => {
    const text = "The default model is gpt-4o.";
    expect((await count({ text })).body).toEqual({
      tokens: referenceCount("o200k_base", text),
      encoding: "o200k_base",
      exact: true,
    });
  });

  it("chooses the encoding js-tiktoken chooses, for every model both know", async () => {
    const unknownModel = (await count({ model: "no-such-model", text: "x" })).body as {
      details: { knownModels: string[] };
    };
    const known = unknownModel.details.knownModels;
    expect(known).toEqual(expect.arrayContaining(["gpt-4o", "gpt-4", "gpt-3.5-turbo", "o3", "gpt-5"]));
    let compared = 0;
    for (const model of known) {
      // tiktoken (Python, the source of truth) maps these two to cl100k_base; js-tiktoken 1.0.21 does not.
      if (model === "babbage-002" || model === "davinci-002") continue;
      let expected: string;
      try {
        expected = getEncodingNameForModel(model as TiktokenModel);
      } catch {
        continue; // newer than js-tiktoken's table
      }
      const { body } = await count({ model, text: "x" });
      expect({ model, encoding: body.encoding }).toEqual({ model, encoding: expected });
      compared++;
    }
    expect(compared).toBeGreaterThan(40);
  });

  it("gives models without a public tokenizer an o200k estimate labelled exact: false", async () => {
    const text = textCorpus()[1]?.text ?? "";
    for (const model of ["claude-sonnet-4-5", "claude-3-5-haiku-20241022", "gemini-2.5-pro"]) {
      expect((await count({ model, text })).body).toEqual({
        tokens: referenceCount("o200k_base", text),
        encoding: "o200k_base",
        exact: false,
      });
    }
    const messages = chatCorpus()[1]?.messages ?? [];
    expect((await count({ model: "claude-opus-4-1", messages })).body).toEqual({
      tokens: referenceChatCount("o200k_base", messages),
      encoding: "o200k_base",
      exact: false,
    });
  });

  it("answers an unknown model with 422 listing the known models and the estimated families", async () => {
    const error = expectApiError(await count({ model: "gpt4o", text: "typo" }), 422, "invalid");
    expect(error.message).toContain('"gpt4o"');
    expect(error.details).toMatchObject({
      knownModels: expect.arrayContaining(["gpt-4o", "gpt-4o-mini", "gpt-4"]),
      estimatedFamilies: ["claude-*", "gemini-*"],
    });
  });
});

describe("bad input", () => {
  it("refuses an unauthenticated request with 401", async () => {
    const response = await server.raw("POST", "/api/tokens/count", {
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "hello" }),
    });
    expectApiError(response, 401, "unauthorized");
    expect(response.headers.get("www-authenticate")).toBeNull();
    const wrongToken = await server.raw("POST", "/api/tokens/count", {
      headers: { "content-type": "application/json", authorization: "Bearer ab_not_a_real_token" },
      body: JSON.stringify({ text: "hello" }),
    });
    expectApiError(wrongToken, 401, "unauthorized");
  });

  it("refuses a body over 1 MiB with 413 before counting it", async () => {
    const text = "a ".repeat(600 * 1024); // 1.2 MiB of JSON
    expectApiError(await count({ text }), 413, "payload_too_large");
    // Just under the limit is counted.
    const fits = "a ".repeat(500 * 1024);
    expect((await count({ text: fits })).body).toMatchObject({ tokens: referenceCount("o200k_base", fits) });
  });

  it("refuses both text and messages, neither, or unknown keys with 422", async () => {
    const both = expectApiError(
      await count({ text: "x", messages: [{ role: "user", content: "x" }] }),
      422,
      "invalid",
    );
    expect(both.message).toContain("exactly one of text and messages");
    expectApiError(await count({ model: "gpt-4o" }), 422, "invalid");
    expectApiError(await count({ text: "x", prompt: "y" }), 422, "invalid");
    expectApiError(await count({ messages: [{ role: "user" }] }), 422, "invalid");
    expectApiError(await count({ messages: [{ role: "", content: "x" }] }), 422, "invalid");
    expectApiError(await count({ text: 42 }), 422, "invalid");
  });
});

describe("pieces the BPE would take quadratic time on", () => {
  it("counts a run of letters over 200 characters in chunks and says the count is not exact", async () => {
    // 1 MB without a break would hold the event loop for hours with a plain encode; this returns (test timeout).
    const run = "abcdefghij".repeat(100_000);
    const response = await count({ text: run });
    expect(response.body).toMatchObject({ encoding: "o200k_base", exact: false });
    // A short run costs nothing to check exactly: chunking changes its count by under 2%.
    const short = "abcdefghij".repeat(50);
    const exact = referenceCount("o200k_base", short);
    const { body } = await count({ text: short });
    expect(body.exact).toBe(false);
    expect(Math.abs(body.tokens - exact) / exact).toBeLessThan(0.02);
  });

  it("keeps ordinary text with long runs of digits, or under the limit, exact", async () => {
    const text = `${"a".repeat(200)} ${"7".repeat(5_000)} ${"-".repeat(150)}`;
    expect((await count({ text })).body).toEqual({
      tokens: referenceCount("o200k_base", text),
      encoding: "o200k_base",
      exact: true,
    });
  });
});
