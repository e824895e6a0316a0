import { type ApiError, ApiErrorSchema } from "@agentboard/protocol";
import { expect } from "vitest";

export interface HttpResult {
  status: number;
  body: unknown;
}

/** V8 stack frames ("    at fn (file.ts:1:2)") or bare file:line:column locations. */
const STACK_TRACE = /(^|\n|\\n)\s*at\s+\S|\.(?:ts|js|mjs|cjs):\d+:\d+/;

/** No response body may carry a stack trace (contract.md "Errors"), whatever its content type. */
export function expectNoStackTrace(body: unknown): void {
  const text = typeof body === "string" ? body : JSON.stringify(body ?? null);
  expect(text).not.toMatch(STACK_TRACE);
  expect(text).not.toMatch(/"stack"\s*:/);
}

/**
 * Asserts the contract's error answer: the status, the code, and a body of exactly
 * `{error, message, details?}` with a non-empty message and no stack trace. Returns the parsed body.
 */
export function expectApiError(result: HttpResult, status: number, code: string): ApiError {
  expect({ status: result.status, body: result.body }).toMatchObject({ status, body: { error: code } });
  const parsed = ApiErrorSchema.safeParse(result.body);
  expect(parsed.success, `error body ${JSON.stringify(result.body)}`).toBe(true);
  const body = parsed.data!;
  expect(
    Object.keys(result.body as object).every((key) => ["error", "message", "details"].includes(key)),
  ).toBe(true);
  expect(body.message.length).toBeGreaterThan(0);
  expectNoStackTrace(result.body);
  return body;
}
