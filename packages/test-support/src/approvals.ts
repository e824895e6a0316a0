import { join } from "node:path";
import Database from "better-sqlite3";
import { type CallerSpecs, callersEachTest, callersOn, type LiveCallers } from "./per-test.js";
import type { Caller, TestServer } from "./test-server.js";

/** The cast of an approvals test: an agent that asks, humans of every role, and someone from elsewhere. */
export interface Cast {
  agent: Caller;
  alice: Caller;
  bob: Caller;
  admin: Caller;
  viewer: Caller;
  outsider: Caller;
}

const CAST = {
  agent: { kind: "agent", name: "deployer" },
  alice: { name: "alice" },
  bob: { name: "bob" },
  admin: { name: "root", role: "admin" },
  viewer: { name: "vera", role: "viewer" },
  outsider: { name: "mallory", role: "owner", workspace: "elsewhere" },
} satisfies CallerSpecs<keyof Cast>;

export const castOf = (server: TestServer): Promise<Cast> => callersOn(server, CAST);

/** The cast of the current test and its server, as `castEachTest` gives them. */
export type LiveCast = LiveCallers<keyof Cast>;

/**
 * A fresh server (from `start`) and its cast for each test of the enclosing suite, closed after it. The
 * returned object reads the current test's: use `cast.alice`, `cast.server` inside tests and hooks only.
 */
export function castEachTest(start?: () => Promise<TestServer>): LiveCast {
  return callersEachTest(CAST, start);
}

export const deployRequest = (extra: Record<string, unknown> = {}) => ({
  type: "deploy",
  title: "Deploy web to production",
  action: { tool: "deploy", args: { service: "web", env: "prod" } },
  confidence: 40,
  ...extra,
});

/** Creates an approval through HTTP and returns its body; fails the test on anything but 201. */
export async function createApproval(caller: Caller, body: Record<string, unknown> = deployRequest()) {
  const result = await caller.request("POST", "/api/approvals", body);
  if (result.status !== 201)
    throw new Error(`create answered ${result.status}: ${JSON.stringify(result.body)}`);
  return result.body;
}

/**
 * Polls `probe` until `accept` holds or `timeoutMs` passes; throws with the last value seen, so a failure
 * says what the state was instead of only timing out.
 */
export async function eventually<T>(
  probe: () => T | Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T;
  for (;;) {
    last = await probe();
    if (accept(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The SQLite file of a data dir, opened directly (to tamper with it, as an attacker with disk access would). */
export function openDatabaseFile(dataDir: string): Database.Database {
  return new Database(join(dataDir, "agentboard.sqlite"));
}

export const activeTimeouts = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
