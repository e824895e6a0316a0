/**
 * What forwarding a 2025-era MCP session's request costs in cluster mode: the same tool call of one session
 * sent to the node that holds it, and to the other node, which forwards it (mcp/server/session-forwarding.ts).
 *
 *   npm run bench:mcp-forwarding      (= npx tsx bench/mcp-session-forwarding.bench.ts, under a minute)
 *   options: --calls 1000  --rounds 3
 *
 * Two cluster nodes as child processes (bench/lib/cluster-node.ts) on fresh Redis/PostgreSQL data; one v1 SDK
 * client (what most MCP clients run) opens a session on node A, then its `read_dashboard` calls alternate
 * between node A (direct) and node B (forwarded to A), so machine noise hits both alike. Per round: p50 and
 * p99 of each and the p50 difference; the table shows medians over the rounds. No goal was set; the figure
 * says what a load balancer without session affinity costs an MCP client per call.
 */
import { setMaxListeners } from "node:events";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { fmt, machineLine, median, percentile, spawnCluster } from "./lib/cluster-bench.js";
import { runWithHardStop } from "./lib/hard-stop.js";

const { values: args } = parseArgs({
  options: { calls: { type: "string", default: "1000" }, rounds: { type: "string", default: "3" } },
});
const CALLS = Number(args.calls);
const ROUNDS = Number(args.rounds);

async function main() {
  const began = performance.now();
  const cluster = await spawnCluster(1, 2);
  const [nodeA, nodeB] = cluster.nodes;
  if (!nodeA || !nodeB) throw new Error("two nodes expected");
  let target = nodeA.url;
  const client = new Client({ name: "bench-forwarding", version: "1" });
  const transport = new StreamableHTTPClientTransport(new URL(`${nodeA.url}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${nodeA.tokens[0]}` } },
    fetch: (url, init) => {
      // The SDK passes one AbortSignal to every fetch and undici frees each listener on it only at GC: not a
      // leak, but Node warns past 1500.
      if (init?.signal) setMaxListeners(0, init.signal);
      const path = new URL(String(url));
      return fetch(new URL(path.pathname + path.search, target), init);
    },
  });
  try {
    await client.connect(transport);
    const call = async (node: string) => {
      target = node;
      const start = performance.now();
      const result = await client.callTool({ name: "read_dashboard", arguments: {} });
      const ms = performance.now() - start;
      if (result.isError) throw new Error(`read_dashboard failed: ${JSON.stringify(result.content)}`);
      return ms;
    };
    // Warm-up: both paths, and node B's connection to node A.
    for (let i = 0; i < 100; i++) await call(i % 2 ? nodeB.url : nodeA.url);

    const rounds: { direct: number[]; forwarded: number[] }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const direct: number[] = [];
      const forwarded: number[] = [];
      for (let i = 0; i < CALLS; i++) {
        if ((i + round) % 2 === 0) direct.push(await call(nodeA.url));
        else forwarded.push(await call(nodeB.url));
      }
      rounds.push({ direct, forwarded });
      const p50 = (values: number[]) => percentile(values, 50);
      console.log(
        `round ${round + 1}: direct p50 ${fmt(p50(direct))} ms, forwarded p50 ${fmt(p50(forwarded))} ms (+${fmt(p50(forwarded) - p50(direct))})`,
      );
    }
    const med = (pick: (r: (typeof rounds)[number]) => number) => median(rounds.map(pick));
    const directP50 = med((r) => percentile(r.direct, 50));
    const forwardedP50 = med((r) => percentile(r.forwarded, 50));
    console.log(`\n${CALLS} calls per round (half each way), median of ${ROUNDS} rounds\n`);
    console.log("| read_dashboard over a 2025 session | p50 ms | p99 ms |");
    console.log("| --- | ---: | ---: |");
    console.log(
      `| to the node holding the session | ${fmt(directP50)} | ${fmt(med((r) => percentile(r.direct, 99)))} |`,
    );
    console.log(
      `| to the other node (forwarded) | ${fmt(forwardedP50)} | ${fmt(med((r) => percentile(r.forwarded, 99)))} |`,
    );
    console.log(
      `| added by forwarding | +${fmt(med((r) => percentile(r.forwarded, 50) - percentile(r.direct, 50)))} | |`,
    );
    console.log(`\n${machineLine(performance.now() - began)}`);
  } finally {
    await transport.terminateSession().catch(() => {});
    await client.close().catch(() => {});
    await cluster.stop();
  }
}

await runWithHardStop(main, 5 * 60_000);
