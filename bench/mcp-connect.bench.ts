/**
 * MCP gateway start-up benchmark: how long until the gateway serves every healthy upstream when some are
 * slow, broken or hung, against connecting the same servers one after another (the same-run baseline).
 *
 *   npm run bench:mcp-connect          (= npx tsx bench/mcp-connect.bench.ts, about 1 min)
 *   options: --rounds 3  --start-delay 500  --hang-timeout 3000
 *
 * Ten real stdio MCP servers (bench/fixtures/slow-mcp-server.mjs, spawned with this Node): 7 healthy ones
 * that each wait `--start-delay` ms before answering, 2 that exit at once, 1 that never answers (its connect
 * timeout is `--hang-timeout`). Per round:
 *
 * - gateway: McpGateway.start() connects all ten in parallel; "ready" is the moment every healthy server is
 *   connected (the broken and hung ones do not hold it up: they retry in the background);
 * - slowest healthy alone: each healthy server connected on its own with the SDK's Client (spawn +
 *   initialize + tools/list), the slowest of the seven: the floor any gateway can reach;
 * - sequential: the SDK's Client connecting the ten one after another, each with the same connect timeout,
 *   as a naive gateway would.
 *
 * Target: gateway ≤ 1.3 × slowest healthy alone. The table shows medians over the rounds.
 */
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Client } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { parseServerEntry } from "../packages/server/src/config/mcp-servers.js";
import { McpGateway } from "../packages/server/src/mcp/gateway/gateway.js";
import type { ToolCallGate } from "../packages/server/src/mcp/gateway/tool-call-gate.js";
import { fmt, machineLine, median } from "./lib/cluster-bench.js";
import { runWithHardStop } from "./lib/hard-stop.js";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    "start-delay": { type: "string", default: "500" },
    "hang-timeout": { type: "string", default: "5000" },
  },
});
const ROUNDS = Number(args.rounds);
const START_DELAY = Number(args["start-delay"]);
const HANG_TIMEOUT = Number(args["hang-timeout"]);
const READY_DEADLINE_MS = 60_000;
const FIXTURE = fileURLToPath(new URL("./fixtures/slow-mcp-server.mjs", import.meta.url));

const servers: Array<{ name: string; args: string[]; healthy: boolean }> = [
  ...Array.from({ length: 7 }, (_, i) => ({
    name: `healthy${i}`,
    args: [`--start-delay=${START_DELAY}`],
    healthy: true,
  })),
  { name: "broken0", args: ["--exit"], healthy: false },
  { name: "broken1", args: ["--exit"], healthy: false },
  { name: "hung", args: ["--hang"], healthy: false },
];

const silentLog = { warn() {}, info() {} };

async function gatewayReady(): Promise<number> {
  const entries = servers.map((s) =>
    parseServerEntry(s.name, {
      command: process.execPath,
      args: [FIXTURE, ...s.args],
      connectTimeoutMs: HANG_TIMEOUT,
    }),
  );
  // Connecting needs no gate: the bench makes no gated calls.
  const gateway = new McpGateway(entries, { gate: {} as ToolCallGate, log: silentLog });
  const healthy = servers.filter((s) => s.healthy).map((s) => s.name);
  try {
    const started = performance.now();
    const ready = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`gateway not ready in time: ${JSON.stringify(gateway.servers())}`)),
        READY_DEADLINE_MS,
      );
      const check = () => {
        const up = new Set(
          gateway
            .servers()
            .filter((s) => s.status === "connected")
            .map((s) => s.name),
        );
        if (healthy.every((name) => up.has(name))) {
          clearTimeout(timer);
          resolve(performance.now() - started);
        }
      };
      gateway.onChange(check);
    });
    gateway.start();
    return await ready;
  } finally {
    await gateway.close();
  }
}

/** One SDK client connect (spawn + initialize + tools/list); ms, or the time until it failed. */
async function connectAlone(serverArgs: string[]): Promise<number> {
  const client = new Client({ name: "bench", version: "1" });
  const started = performance.now();
  try {
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [FIXTURE, ...serverArgs],
        stderr: "ignore",
      }),
      { timeout: HANG_TIMEOUT },
    );
    await client.listTools(undefined, { timeout: HANG_TIMEOUT });
  } catch {
    // broken or hung: the time until we knew counts
  } finally {
    await client.close().catch(() => {});
  }
  return performance.now() - started;
}

async function main() {
  const began = performance.now();
  await gatewayReady(); // warm-up (module loading, first spawns)
  const rows = { gateway: [] as number[], slowest: [] as number[], sequential: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    rows.gateway.push(await gatewayReady());
    const alone: number[] = [];
    for (const s of servers.filter((x) => x.healthy)) alone.push(await connectAlone(s.args));
    rows.slowest.push(Math.max(...alone));
    const sequentialStart = performance.now();
    for (const s of servers) await connectAlone(s.args);
    rows.sequential.push(performance.now() - sequentialStart);
  }
  const slowest = median(rows.slowest);
  const table = [
    "| path (10 stdio servers: 7 healthy × 500 ms start, 2 broken, 1 hung) | ready, ms (median of 3) | × slowest healthy alone |",
    "|---|---|---|",
    `| gateway: all in parallel, in the background | ${fmt(median(rows.gateway))} | ${fmt(median(rows.gateway) / slowest)} |`,
    `| slowest healthy server connected alone (SDK Client) | ${fmt(slowest)} | 1.00 |`,
    `| baseline: SDK Client, one after another (hang timeout ${HANG_TIMEOUT} ms) | ${fmt(median(rows.sequential))} | ${fmt(median(rows.sequential) / slowest)} |`,
  ].join("\n");
  console.log(table);
  console.log(
    `\nrounds: gateway ${rows.gateway.map(fmt).join(", ")}; slowest ${rows.slowest.map(fmt).join(", ")}; sequential ${rows.sequential.map(fmt).join(", ")}`,
  );
  console.log(machineLine(performance.now() - began));
  const ratio = median(rows.gateway) / slowest;
  console.log(ratio <= 1.3 ? `OK: ${fmt(ratio)}× ≤ 1.3×` : `OVER TARGET: ${fmt(ratio)}× > 1.3×`);
}

await runWithHardStop(main);
