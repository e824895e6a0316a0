/**
 * Cluster PATCH throughput: how many durable PATCHes per second two cluster nodes take on one dashboard and
 * on 100 dashboards, next to the Redis limit measured in the same run.
 *
 *   npm run bench:cluster-patch      (= npx tsx bench/cluster-patch.bench.ts, about 90 s)
 *
 * Two real nodes (child processes, Redis 127.0.0.1:6379 + PostgreSQL 127.0.0.1:5432/test, a fresh prefix and
 * schema) and the clients (this process) share the machine with Redis and PostgreSQL. Per round:
 * - redis-benchmark SET and EVALSHA of a small compare-and-set script (GET, compare, SET, INCR), 50 clients:
 *   what Redis itself does per second with the cheapest write and the cheapest scripted CAS;
 * - the commit script alone (RedisDashboardStore.commit from this process, ~20 KB state per commit):
 *   1 document (one chain: a CAS serialises one document) and 100 documents (50 concurrent chains);
 * - HTTP PATCH through both nodes: 16 clients (8 per node) on 1 document, each editing its own widget from
 *   the rev it last saw (so most writes are rebased on the server), and 16 clients over 100 documents;
 * - the same 1-document HTTP load on one embedded node (SQLite), for reference.
 * Paths run interleaved for 3 rounds; the table shows medians and ratios to EVALSHA CAS of the same round.
 */
import { execFileSync } from "node:child_process";
import { quietLog, REDIS_URL } from "@agentboard/test-support";
import { RedisDashboardStore } from "../packages/server/src/dashboards/redis-dashboard-store.js";
import { createRedisClient } from "../packages/server/src/storage/redis.js";
import { makeDashboardState } from "./fixtures/dashboard-state.js";
import {
  type BenchNode,
  fmt,
  machineLine,
  median,
  request,
  spawnCluster,
  spawnNode,
} from "./lib/cluster-bench.js";

const ROUNDS = 3;
const CLIENTS = 16;
const WRITES_PER_CLIENT = 100;
const DOCUMENT_BYTES = 20_000;
const DOCUMENTS = 100;
const STORE_COMMITS = 4_000;
const STORE_CHAINS = 50;
const REDIS_BENCH_REQUESTS = 200_000;

type Row = { name: string; perSec: number; p99Ms?: number };

const CAS_SCRIPT = `local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur >= 0 then redis.call('SET', KEYS[2], ARGV[1]) return redis.call('INCR', KEYS[1]) end
return 0`;

function redisBenchmark(args: string[]): number {
  const url = new URL(REDIS_URL);
  const out = execFileSync(
    "redis-benchmark",
    [
      "-h",
      url.hostname,
      "-p",
      url.port || "6379",
      "-c",
      "50",
      "-n",
      String(REDIS_BENCH_REQUESTS),
      "-q",
      ...args,
    ],
    { encoding: "utf8" },
  );
  const match = /([\d.]+) requests per second/.exec(out);
  if (!match) throw new Error(`unexpected redis-benchmark output: ${out}`);
  return Number(match[1]);
}

async function main() {
  const started = performance.now();
  const cluster = await spawnCluster(CLIENTS);
  const embedded = await spawnNode({ mode: "embedded", users: CLIENTS });
  const embeddedNodes = [embedded];
  const redis = createRedisClient({
    url: REDIS_URL,
    name: "agentboard:bench",
    commandTimeoutMs: 10_000,
    log: quietLog,
  });
  await redis.connect();
  try {
    const { prefix } = cluster.data;
    const casSha = (await redis.script("LOAD", CAS_SCRIPT)) as string;
    const state = makeDashboardState(DOCUMENT_BYTES);
    const widgetIds = Object.keys(state.widgets);
    const owner = cluster.nodes[0]!;
    // Shared dashboards (slugs): every bench user may write them. Seeded once with the ~20 KB state.
    const docs = ["one", ...Array.from({ length: DOCUMENTS }, (_, i) => `doc-${i}`)];
    for (const [node, doc] of [...docs.map((d) => [owner, d] as const), [embedded, "one"] as const]) {
      const put = await request(`${node.url}/api/dashboards/${doc}/state`, node.tokens[0]!, "PUT", {
        baseRev: 0,
        state,
      });
      if (put.status !== 200) throw new Error(`seeding ${doc}: ${put.status} ${JSON.stringify(put.body)}`);
    }
    const revsOf = new Map<BenchNode[], Map<string, number>>();

    /** Each client edits widget `client` of the documents it is given, baseRev = the rev it last saw. */
    const httpRun = async (
      name: string,
      docOf: (client: number, i: number) => string,
      nodes: BenchNode[] = cluster.nodes,
    ): Promise<Row> => {
      const revs = revsOf.get(nodes) ?? new Map<string, number>(docs.map((d) => [d, 1]));
      revsOf.set(nodes, revs);
      const latencies: number[] = [];
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: CLIENTS }, async (_, client) => {
          const node = nodes[client % nodes.length]!;
          const token = node.tokens[client]!;
          const seen = new Map<string, number>();
          for (let i = 0; i < WRITES_PER_CLIENT; i++) {
            const doc = docOf(client, i);
            const baseRev = seen.get(doc) ?? revs.get(doc)!;
            const widgetId = widgetIds[client % widgetIds.length]!;
            const w0 = performance.now();
            const result = await request(`${node.url}/api/dashboards/${doc}/state`, token, "PATCH", {
              baseRev,
              ops: [{ op: "replace", path: `/widgets/${widgetId}/title`, value: `c${client} #${i}` }],
            });
            latencies.push(performance.now() - w0);
            if (result.status !== 200)
              throw new Error(`${name}: PATCH ${result.status} ${JSON.stringify(result.body)}`);
            seen.set(doc, result.body.rev);
          }
          for (const [doc, rev] of seen) revs.set(doc, Math.max(revs.get(doc)!, rev));
        }),
      );
      const elapsed = performance.now() - t0;
      latencies.sort((a, b) => a - b);
      return {
        name,
        perSec: (CLIENTS * WRITES_PER_CLIENT * 1000) / elapsed,
        p99Ms: latencies[Math.ceil(latencies.length * 0.99) - 1],
      };
    };

    const store = new RedisDashboardStore({ redis, prefix: `${prefix}store:`, stateTtlDays: 1 });
    const storeRevs = new Map<string, number>();
    /** Raw commits of the full state (what every PATCH costs Redis), bypassing HTTP and the service. */
    const storeRun = async (name: string, documents: number, chains: number): Promise<Row> => {
      const t0 = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: chains }, async () => {
          for (let n = next++; n < STORE_COMMITS; n = next++) {
            const dashboardId = `s${n % documents}`;
            const key = { workspaceId: "ws_bench", dashboardId };
            const expectedRev = storeRevs.get(dashboardId) ?? 0;
            const result = await store.commit({
              key,
              expectedRev,
              state,
              entry: {
                ops: [{ op: "replace", path: "/widgets/x/title", value: `${n}` }],
                paths: ["/widgets/x/title"],
                origin: { principal: "user:bench" },
                at: new Date().toISOString(),
              },
              logLimit: 1000,
            });
            if (!result.ok)
              throw new Error(`${name}: lost a CAS on ${dashboardId} (two chains on one document)`);
            storeRevs.set(dashboardId, result.rev);
          }
        }),
      );
      return { name, perSec: (STORE_COMMITS * 1000) / (performance.now() - t0) };
    };

    const paths: Array<() => Promise<Row>> = [
      async () => ({
        name: "redis-benchmark SET (50 clients)",
        perSec: redisBenchmark(["set", `${prefix}rb:set`, "value"]),
      }),
      async () => ({
        name: "redis-benchmark EVALSHA CAS (50 clients)",
        perSec: redisBenchmark(["evalsha", casSha, "2", `${prefix}rb:cas`, `${prefix}rb:val`, "value"]),
      }),
      () => storeRun("commit script, 1 document (1 chain)", 1, 1),
      () =>
        storeRun(`commit script, ${DOCUMENTS} documents (${STORE_CHAINS} chains)`, DOCUMENTS, STORE_CHAINS),
      () => httpRun(`HTTP PATCH, 2 nodes, 1 document (${CLIENTS} clients)`, () => "one"),
      () =>
        httpRun(
          `HTTP PATCH, 2 nodes, ${DOCUMENTS} documents (${CLIENTS} clients)`,
          (c, i) => `doc-${(c * 7 + i) % DOCUMENTS}`,
        ),
      () => httpRun(`HTTP PATCH, embedded node, 1 document (${CLIENTS} clients)`, () => "one", embeddedNodes),
    ];
    // Warm-up: JIT, connections, first reads of every document.
    await httpRun("warm-up", (c, i) => `doc-${(c * 7 + i) % DOCUMENTS}`);
    await httpRun("warm-up", () => "one");
    await httpRun("warm-up", () => "one", embeddedNodes);

    const rounds: Row[][] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const rows: Row[] = [];
      // Rotate the order so no path always runs right after the same one.
      for (let k = 0; k < paths.length; k++) rows.push(await paths[(k + round) % paths.length]!());
      rounds.push(rows);
      console.error(`round ${round + 1}: ${rows.map((r) => `${r.name} ${fmt(r.perSec)}/s`).join("; ")}`);
    }
    printTable(rounds, performance.now() - started);
  } finally {
    redis.disconnect();
    await embedded.stop();
    await cluster.stop();
  }
}

function printTable(rounds: Row[][], elapsedMs: number) {
  const names = rounds[0]!.map((r) => r.name);
  const byName = (round: Row[], name: string) => round.find((r) => r.name === name)!;
  const casName = names.find((n) => n.includes("EVALSHA"))!;
  console.log(
    `\n${ROUNDS} rounds (medians), ~${DOCUMENT_BYTES / 1000} KB document, ${CLIENTS} HTTP clients × ${WRITES_PER_CLIENT} writes\n`,
  );
  console.log("| path | writes/s | p99 ms | ÷ EVALSHA CAS (same round) |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const name of names) {
    const perSec = median(rounds.map((round) => byName(round, name).perSec));
    const p99 = rounds.map((round) => byName(round, name).p99Ms).filter((v): v is number => v !== undefined);
    const ratio = median(rounds.map((round) => byName(round, name).perSec / byName(round, casName).perSec));
    console.log(
      `| ${name} | ${fmt(perSec)} | ${p99.length ? fmt(median(p99)) : "—"} | ${ratio.toFixed(3)} |`,
    );
  }
  console.log(`\n${machineLine(elapsedMs)}`);
}

await main();
