/**
 * Cross-node fan-out: how long a committed patch takes to reach WebSocket subscribers connected to another
 * cluster node (through Redis pub/sub), next to subscribers on the writer's own node and to one embedded node,
 * in the same run.
 *
 *   npm run bench:cluster-fanout     (= npx tsx bench/cluster-fanout.bench.ts, about 60 s)
 *
 * Nodes are child processes (two cluster nodes on a fresh Redis prefix + PostgreSQL schema, and one embedded
 * node); the writer and 100 subscribers run in this process. The writer PATCHes a shared dashboard over HTTP
 * at 20 writes/s (one in flight, baseRev = the previous answer), each value carrying its sequence number;
 * latency runs from the writer's send to each subscriber's receipt of the `patch` frame. Per round and setup:
 * 1 s warm-up, then 5 s measured (100 writes × 100 subscribers = 10,000 deliveries). Setups run interleaved
 * for 3 rounds in rotated order; the table shows medians of per-round percentiles.
 */

import { noteWidget } from "@agentboard/test-support";
import WebSocket from "ws";
import {
  type BenchNode,
  fmt,
  machineLine,
  median,
  percentile,
  request,
  spawnCluster,
  spawnNode,
} from "./lib/cluster-bench.js";

const SUBSCRIBERS = 100;
const RATE_PER_SECOND = 20;
const WARMUP_MS = 1_000;
const MEASURE_MS = 5_000;
const ROUNDS = 3;
const DASHBOARD = "fanout";

interface Setup {
  name: string;
  writer: BenchNode;
  subscribers: BenchNode;
}

interface Sample {
  p50: number;
  p99: number;
  max: number;
  delivered: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function subscribe(node: BenchNode, token: string, onPatch: (seq: number) => void): Promise<WebSocket> {
  const socket = new WebSocket(`${node.url.replace("http", "ws")}/api/realtime`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  const subscribed = new Promise<void>((resolve) => {
    socket.on("message", (data) => {
      const frame = JSON.parse(data.toString()) as { type: string; ops?: Array<{ value?: unknown }> };
      if (frame.type === "subscribed") resolve();
      else if (frame.type === "patch") {
        const value = frame.ops?.[0]?.value;
        if (typeof value === "string" && value.startsWith("seq:")) onPatch(Number(value.slice(4)));
      }
    });
  });
  socket.send(JSON.stringify({ type: "subscribe", id: "s", dashboardId: DASHBOARD }));
  await subscribed;
  return socket;
}

async function runSetup(setup: Setup): Promise<Sample> {
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  let measuring = false;
  const sockets = await Promise.all(
    Array.from({ length: SUBSCRIBERS }, (_, i) =>
      subscribe(setup.subscribers, setup.subscribers.tokens[i % setup.subscribers.tokens.length]!, (seq) => {
        const sent = sentAt.get(seq);
        if (measuring && sent !== undefined) latencies.push(performance.now() - sent);
      }),
    ),
  );
  try {
    const token = setup.writer.tokens[0]!;
    let rev = (await request(`${setup.writer.url}/api/dashboards/${DASHBOARD}/state`, token, "GET")).body.rev;
    const write = async (seq: number) => {
      sentAt.set(seq, performance.now());
      const result = await request(`${setup.writer.url}/api/dashboards/${DASHBOARD}/state`, token, "PATCH", {
        baseRev: rev,
        ops: [{ op: "replace", path: "/widgets/w/props/markdown", value: `seq:${seq}` }],
      });
      if (result.status !== 200) throw new Error(`PATCH ${result.status} ${JSON.stringify(result.body)}`);
      rev = result.body.rev;
    };
    const interval = 1000 / RATE_PER_SECOND;
    let seq = 0;
    const phase = async (ms: number) => {
      const start = performance.now();
      for (let n = 0; performance.now() - start < ms; n++) {
        await write(seq++);
        const due = start + (n + 1) * interval;
        await sleep(Math.max(0, due - performance.now()));
      }
    };
    await phase(WARMUP_MS);
    measuring = true;
    const firstMeasured = seq;
    await phase(MEASURE_MS);
    const expected = (seq - firstMeasured) * SUBSCRIBERS;
    const deadline = Date.now() + 10_000;
    while (latencies.length < expected && Date.now() < deadline) await sleep(20);
    if (latencies.length < expected)
      throw new Error(`${setup.name}: ${latencies.length} of ${expected} deliveries arrived`);
    return {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: Math.max(...latencies),
      delivered: latencies.length,
    };
  } finally {
    await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve) => {
            socket.once("close", () => resolve());
            socket.close();
          }),
      ),
    );
  }
}

async function main() {
  const started = performance.now();
  const cluster = await spawnCluster(SUBSCRIBERS);
  const embedded = await spawnNode({ mode: "embedded", users: SUBSCRIBERS });
  try {
    const [a, b] = cluster.nodes as [BenchNode, BenchNode];
    for (const node of [a, embedded]) {
      const put = await request(
        `${node.url}/api/dashboards/${DASHBOARD}/widgets/w`,
        node.tokens[0]!,
        "PUT",
        noteWidget("start"),
      );
      if (put.status !== 200) throw new Error(`seeding: ${put.status}`);
    }
    const setups: Setup[] = [
      { name: "embedded, one node", writer: embedded, subscribers: embedded },
      { name: "cluster, subscribers on the writer's node", writer: a, subscribers: a },
      { name: "cluster, subscribers on the other node", writer: a, subscribers: b },
    ];
    const samples = new Map<string, Sample[]>(setups.map((s) => [s.name, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < setups.length; k++) {
        const setup = setups[(k + round) % setups.length]!;
        const sample = await runSetup(setup);
        samples.get(setup.name)!.push(sample);
        console.error(
          `round ${round + 1} ${setup.name}: p50 ${fmt(sample.p50)} ms, p99 ${fmt(sample.p99)} ms`,
        );
      }
    }
    const baseline = median(samples.get(setups[0]!.name)!.map((s) => s.p99));
    console.log(
      `\n${SUBSCRIBERS} subscribers, ${RATE_PER_SECOND} writes/s for ${MEASURE_MS / 1000} s, ${ROUNDS} rounds (medians of per-round values)\n`,
    );
    console.log("| setup | p50 ms | p99 ms | max ms | p99 ÷ embedded p99 |");
    console.log("| --- | ---: | ---: | ---: | ---: |");
    for (const [name, runs] of samples) {
      const p99 = median(runs.map((r) => r.p99));
      console.log(
        `| ${name} | ${fmt(median(runs.map((r) => r.p50)))} | ${fmt(p99)} | ${fmt(median(runs.map((r) => r.max)))} | ${(p99 / baseline).toFixed(2)} |`,
      );
    }
    console.log(`\n${machineLine(performance.now() - started)}`);
  } finally {
    await embedded.stop();
    await cluster.stop();
  }
}

await main();
