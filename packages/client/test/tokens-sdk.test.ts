import { startTestServer, type TestServer } from "@agentboard/test-support";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ApiRequestError, type BoardClient, createBoardClient } from "../src/index.js";

let server: TestServer;
let board: BoardClient;

beforeAll(async () => {
  server = await startTestServer();
  const alice = await server.caller({ name: "alice" });
  board = createBoardClient({ url: server.url, token: alice.token });
});
afterAll(async () => {
  await board?.close();
  await server?.close();
});

it("board.tokens.count counts text and chat messages as the server does", async () => {
  expect(await board.tokens.count({ text: "hello world" })).toEqual({
    tokens: 2,
    encoding: "o200k_base",
    exact: true,
  });
  // 3 per message + role + content, then 3 priming the reply: 3 + 1 + 1 + 3.
  expect(await board.tokens.count({ model: "gpt-4", messages: [{ role: "user", content: "hi" }] })).toEqual({
    tokens: 8,
    encoding: "cl100k_base",
    exact: true,
  });
  expect(await board.tokens.count({ model: "claude-sonnet-4-5", text: "hello world" })).toEqual({
    tokens: 2,
    encoding: "o200k_base",
    exact: false,
  });
});

it("board.tokens.count rejects an unknown model with the server's invalid error", async () => {
  const error = await board.tokens.count({ model: "gpt4o", text: "x" }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ApiRequestError);
  expect(error).toMatchObject({ status: 422, code: "invalid" });
});
