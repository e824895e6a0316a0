import { createBoardClient, type McpWatchSignal } from "@agentboard/client";
import type { McpServerStatus } from "@agentboard/protocol";
import { type Caller, startTestServer, type TestServer } from "@agentboard/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE, stdio, waitForServers } from "./gateway-helpers.js";

/** Resolves with the first signal that `predicate` accepts (signals are kept from the start), or rejects. */
function signals() {
  const seen: McpWatchSignal[] = [];
  const waiters = new Set<() => void>();
  return {
    push(signal: McpWatchSignal) {
      seen.push(signal);
      for (const wake of [...waiters]) wake();
    },
    until(predicate: (signal: McpWatchSignal) => boolean, ms = 15_000): Promise<McpWatchSignal> {
      let from = 0;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no such signal within ${ms} ms; saw ${JSON.stringify(seen)}`));
        }, ms);
        function check() {
          for (; from < seen.length; from++) {
            if (!predicate(seen[from]!)) continue;
            clearTimeout(timer);
            waiters.delete(check);
            resolve(seen[from]!);
            return;
          }
        }
        waiters.add(check);
        check();
      });
    },
  };
}

const fixtureIs = (status: McpServerStatus["status"]) => (signal: McpWatchSignal) =>
  signal.kind === "servers" && signal.servers.find((s) => s.name === "fixture")?.status === status;

/** board.mcp.watch(): the realtime channel subscribe_mcp / subscribed_mcp / mcp_server through the SDK. */
describe("board.mcp.watch() follows the gateway's servers live", () => {
  let server: TestServer;
  let user: Caller;

  beforeAll(async () => {
    server = await startTestServer({ AGENTBOARD_MCP_SERVERS: JSON.stringify({ fixture: stdio(FIXTURE) }) });
    user = await server.caller({ name: "alice", role: "member" });
    await waitForServers(server.app, (servers) => servers.get("fixture")?.status === "connected");
  });

  afterAll(async () => {
    await server?.close();
  });

  it("gets the list at once, then down and connected again when the upstream dies and comes back", async () => {
    const board = createBoardClient({ url: server.url, token: user.token });
    const got = signals();
    const watch = board.mcp.watch((signal) => got.push(signal));
    try {
      const first = await got.until(fixtureIs("connected"));
      expect(first.kind === "servers" && first.servers[0]).toMatchObject({ breaker: "closed", tools: 4 });
      expect(server.app.realtimeHub.subscriptionCount("mcp")).toBe(1);
      const pid = server.app.mcpGateway.servers()[0]?.pid;
      process.kill(pid!, "SIGKILL");
      const down = await got.until(fixtureIs("down"));
      expect(down.kind === "servers" && down.servers[0]?.error).toContain("connection closed");
      await got.until(fixtureIs("connected"));
    } finally {
      await watch.close();
      await board.close();
    }
  });

  it("a token that is not valid gets no server list: the watch ends fatal", async () => {
    const board = createBoardClient({ url: server.url, token: "ab_not-a-real-token" });
    const got = signals();
    const watch = board.mcp.watch((signal) => got.push(signal));
    try {
      const fatal = await got.until((signal) => signal.kind !== "down");
      expect(fatal.kind).toBe("fatal");
    } finally {
      await watch.close();
      await board.close();
    }
  });
});
