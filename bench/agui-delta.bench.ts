/**
 * AG-UI delta latency: one change → its STATE_DELTA received over the AG-UI SSE stream
 * (`POST /api/agui/:dashboardId`), against the same change received as a `patch` frame by a raw WebSocket
 * subscriber of `/api/realtime`, in the same run. p99 of each, their ratio per round, the median over rounds.
 *
 *   npm run bench:agui-delta        (= npx tsx bench/agui-delta.bench.ts)
 *   options: --seconds 10  --rounds 3  --rate 100
 *
 * The server is the real one (bench/sync-fanout/server.ts "agentboard": Fastify, auth, SQLite, realtime
 * hub) alone in a child process, fresh each round. This process writes ~1 KB patches over the realtime
 * socket at `--rate` per second (each waits for its ack, as in bench:sync-fanout) and reads both subscribers;
 * each patch carries its send time, and each subscriber subtracts it from the time the change reached it.
 * Both subscribers share this process, so whatever slows one here slows the other.
 */
import { request as httpRequest } from "node:http";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { BenchChild, killAllChildren } from "./sync-fanout/child.js";
import { median } from "./sync-fanout/report.js";
import { DASHBOARD_ID, nowMs, readStamp, type ServerReady } from "./sync-fanout/shared.js";
import { openWriter } from "./sync-fanout/writers.js";

const SERVER_ENTRY = fileURLToPath(new URL("./sync-fanout/server.ts", import.meta.url));
const WARMUP_SECONDS = 1;
const TIMEOUT_MS = 15_000;
const GOAL_RATIO = 1.5;

const { values: options } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    rate: { type: "string", default: "100" },
  },
});
const SECONDS = Number(options.seconds);
const ROUNDS = Number(options.rounds);
const RATE = Number(options.rate);
if (!(SECONDS > 0) || !(ROUNDS > 0) || !(RATE > 0)) {
  console.error("usage: --seconds N --rounds N --rate N");
  process.exit(2);
}

/** Receive latencies by seq, for the measured seqs only. */
class Latencies {
  readonly bySeq = new Map<number, number>();
  constructor(private readonly firstMeasured: number) {}

  record(text: string): void {
    const receivedAt = nowMs();
    const stamp = readStamp(text);
    if (stamp && stamp.seq >= this.firstMeasured) this.bySeq.set(stamp.seq, receivedAt - stamp.sentAtMs);
  }

  percentile(p: number): number {
    const sorted = [...this.bySeq.values()].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  }
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A raw `ws` subscriber of the realtime endpoint, ready once its snapshot arrived. */
async function followOverWebSocket(ready: ServerReady, latencies: Latencies): Promise<() => void> {
  const socket = new WebSocket(ready.url, {
    perMessageDeflate: false,
    headers: { authorization: `Bearer ${ready.subscriberToken}` },
  });
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      socket.once("open", () =>
        socket.send(JSON.stringify({ type: "subscribe", id: "s", dashboardId: DASHBOARD_ID })),
      );
      socket.on("message", (data) => {
        const text = data.toString();
        if (text.includes('"type":"snapshot"')) resolve();
        else latencies.record(text);
      });
      socket.once("error", reject);
    }),
    "WebSocket subscriber",
  );
  return () => socket.terminate();
}

/**
 * An AG-UI run on the same dashboard, read as SSE with node:http (a plain socket reader, as `ws` is on the
 * other side: the comparison is of the server's two paths, not of fetch against ws), ready once its
 * STATE_SNAPSHOT arrived.
 */
async function followOverAgui(ready: ServerReady, latencies: Latencies): Promise<() => void> {
  const base = new URL(ready.url.replace(/^ws/, "http"));
  const body = JSON.stringify({ threadId: "bench", runId: "bench", messages: [] });
  let snapshot: () => void = () => {};
  const snapshotSeen = new Promise<void>((resolve) => {
    snapshot = resolve;
  });
  const request = httpRequest({
    host: base.hostname,
    port: base.port,
    path: `/api/agui/${DASHBOARD_ID}`,
    method: "POST",
    headers: {
      authorization: `Bearer ${ready.subscriberToken}`,
      "content-type": "application/json",
      accept: "text/event-stream",
    },
  });
  const answered = new Promise<void>((resolve, reject) => {
    request.once("error", reject);
    request.once("response", (response) => {
      if (response.statusCode !== 200) reject(new Error(`AG-UI run answered ${response.statusCode}`));
      response.setEncoding("utf8");
      let buffer = "";
      response.on("data", (chunk: string) => {
        buffer += chunk;
        let end = buffer.indexOf("\n\n");
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.includes('"type":"STATE_SNAPSHOT"')) snapshot();
          else if (block.includes('"type":"STATE_DELTA"')) latencies.record(block);
          end = buffer.indexOf("\n\n");
        }
      });
      response.once("error", () => {});
      resolve();
    });
  });
  request.end(body);
  await withTimeout(answered, "AG-UI run");
  await withTimeout(snapshotSeen, "AG-UI run");
  return () => request.destroy();
}

interface RoundResult {
  sse: { p50: number; p99: number; received: number };
  ws: { p50: number; p99: number; received: number };
  expected: number;
}

async function round(): Promise<RoundResult> {
  const server = BenchChild.spawn("server:agentboard", SERVER_ENTRY, ["agentboard"]);
  const closers: Array<() => void> = [];
  try {
    const { ready } = await server.next("ready", 30_000);
    if (!ready) throw new Error("the server sent no address");
    if (ready.dataDir) server.ownsDir(ready.dataDir);
    const warmup = WARMUP_SECONDS * RATE;
    const measured = SECONDS * RATE;
    const sse = new Latencies(warmup);
    const ws = new Latencies(warmup);
    closers.push(await followOverWebSocket(ready, ws), await followOverAgui(ready, sse));
    const writer = await openWriter("agentboard", ready, TIMEOUT_MS);
    closers.push(() => writer.close());
    const interval = 1000 / RATE;
    const start = performance.now();
    for (let seq = 0; seq < warmup + measured; seq++) {
      const wait = start + seq * interval - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      await writer.send(seq, performance.timeOrigin + start + seq * interval);
    }
    const deadline = performance.now() + TIMEOUT_MS;
    while ((sse.bySeq.size < measured || ws.bySeq.size < measured) && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const summary = (l: Latencies) => ({
      p50: l.percentile(50),
      p99: l.percentile(99),
      received: l.bySeq.size,
    });
    return { sse: summary(sse), ws: summary(ws), expected: measured };
  } finally {
    for (const close of closers) close();
    await server.stop();
  }
}

async function main(): Promise<void> {
  const results: RoundResult[] = [];
  console.log(
    `agui-delta: ${RATE} patches/s of ~1 KB, ${SECONDS} s measured (+${WARMUP_SECONDS} s warm-up), ${ROUNDS} rounds`,
  );
  for (let r = 0; r < ROUNDS; r++) {
    const result = await round();
    results.push(result);
    const ratio = result.sse.p99 / result.ws.p99;
    console.log(
      `round ${r + 1}: SSE STATE_DELTA p50 ${result.sse.p50.toFixed(2)} ms p99 ${result.sse.p99.toFixed(2)} ms ` +
        `(${result.sse.received}/${result.expected}) | WebSocket patch p50 ${result.ws.p50.toFixed(2)} ms ` +
        `p99 ${result.ws.p99.toFixed(2)} ms (${result.ws.received}/${result.expected}) | p99 ratio ${ratio.toFixed(2)}×`,
    );
  }
  const sseP99 = median(results.map((r) => r.sse.p99));
  const wsP99 = median(results.map((r) => r.ws.p99));
  const ratio = median(results.map((r) => r.sse.p99 / r.ws.p99));
  console.log(
    `median of ${ROUNDS}: SSE p99 ${sseP99.toFixed(2)} ms, WebSocket p99 ${wsP99.toFixed(2)} ms, ` +
      `ratio ${ratio.toFixed(2)}× (goal ≤ ${GOAL_RATIO}×: ${ratio <= GOAL_RATIO ? "met" : "NOT met"})`,
  );
  if (results.some((r) => r.sse.received < r.expected || r.ws.received < r.expected))
    console.log("warning: some changes were not received by a subscriber within the drain timeout");
}

process.on("exit", killAllChildren);
main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
