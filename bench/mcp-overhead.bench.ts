/**
 * MCP gateway overhead benchmark: what the gateway adds to one tool call, against calling the same
 * upstream directly with the SDK's Client in the same run.
 *
 *   npm run bench:mcp-overhead         (= npx tsx bench/mcp-overhead.bench.ts, under a minute)
 *   options: --calls 2000  --rounds 3
 *
 * Two processes of the same stdio MCP server (bench/fixtures/slow-mcp-server.mjs, no start delay): one
 * behind McpGateway (name split, allow/deny, read-only check, circuit breaker, metrics hook, token-budget
 * check of the result), one behind a bare SDK Client. Calls of the read-only `echo` tool alternate between
 * the two (A, B, A, B…) so machine noise hits both alike. Per round: p50 and p99 of each and the p50
 * difference; the table shows medians over the rounds. Target: p50 difference ≤ +1 ms. The gateway here is
 * in-process (what `/mcp` and the REST route call); HTTP in front of it is the same for any route.
 */
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import type { Principal } from "../packages/server/src/auth/principal.js";
import { parseServerEntry } from "../packages/server/src/config/mcp-servers.js";
import { McpGateway } from "../packages/server/src/mcp/gateway/gateway.js";
import type { ToolCallGate } from "../packages/server/src/mcp/gateway/tool-call-gate.js";
import { fmt, machineLine, median, percentile } from "./lib/cluster-bench.js";
import { runWithHardStop } from "./lib/hard-stop.js";

const { values: args } = parseArgs({
  options: { calls: { type: "string", default: "2000" }, rounds: { type: "string", default: "3" } },
});
const CALLS = Number(args.calls);
const ROUNDS = Number(args.rounds);
const SERVER = fileURLToPath(new URL("./fixtures/slow-mcp-server.mjs", import.meta.url));
const principal: Principal = {
  kind: "user",
  id: "bench",
  name: "bench",
  role: "member",
  workspaceId: "w",
  workspaceName: "w",
};

async function main() {
  const began = performance.now();
  const gateway = new McpGateway([parseServerEntry("bench", { command: process.execPath, args: [SERVER] })], {
    gate: {} as ToolCallGate, // read-only calls never reach the gate
    log: { warn() {}, info() {} },
  });
  const direct = new Client({ name: "bench-direct", version: "1" });
  try {
    gateway.start();
    await gateway.settled();
    if (gateway.servers()[0]?.status !== "connected")
      throw new Error(`gateway not connected: ${JSON.stringify(gateway.servers())}`);
    await direct.connect(
      new StdioClientTransport({ command: process.execPath, args: [SERVER], stderr: "ignore" }),
    );
    await direct.listTools();

    const viaGateway = async (text: string) => {
      const outcome = await gateway.callTool(principal, "bench__echo", { text });
      if (outcome.pending || outcome.result.isError) throw new Error("gateway call failed");
    };
    const viaClient = async (text: string) => {
      const result = await direct.callTool({ name: "echo", arguments: { text } });
      if (result.isError) throw new Error("direct call failed");
    };
    const time = async (fn: (text: string) => Promise<void>, i: number) => {
      const started = performance.now();
      await fn(`call ${i}`);
      return performance.now() - started;
    };
    for (let i = 0; i < 200; i++) {
      await time(viaGateway, i);
      await time(viaClient, i);
    }
    const rounds: Array<{ g50: number; g99: number; d50: number; d99: number }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const g: number[] = [];
      const d: number[] = [];
      for (let i = 0; i < CALLS; i++) {
        if (i % 2 === 0) {
          g.push(await time(viaGateway, i));
          d.push(await time(viaClient, i));
        } else {
          d.push(await time(viaClient, i));
          g.push(await time(viaGateway, i));
        }
      }
      rounds.push({
        g50: percentile(g, 50),
        g99: percentile(g, 99),
        d50: percentile(d, 50),
        d99: percentile(d, 99),
      });
    }
    const m = (key: keyof (typeof rounds)[number]) => median(rounds.map((r) => r[key]));
    const added = median(rounds.map((r) => r.g50 - r.d50));
    console.log(
      [
        `| path (${CALLS} calls × ${ROUNDS} rounds, alternating) | p50, ms | p99, ms |`,
        "|---|---|---|",
        `| gateway (McpGateway.callTool → stdio upstream) | ${fmt(m("g50"))} | ${fmt(m("g99"))} |`,
        `| baseline: SDK Client.callTool → same server | ${fmt(m("d50"))} | ${fmt(m("d99"))} |`,
        `| added by the gateway | +${fmt(added)} | |`,
      ].join("\n"),
    );
    console.log(machineLine(performance.now() - began));
    console.log(
      added <= 1 ? `OK: +${fmt(added)} ms ≤ +1 ms at p50` : `OVER TARGET: +${fmt(added)} ms > +1 ms at p50`,
    );
  } finally {
    await direct.close().catch(() => {});
    await gateway.close();
  }
}

await runWithHardStop(main);
