/**
 * Subscriber child of the sync fan-out benchmark: N sockets to one server, in a process of their own (not the
 * server's, not the writer's). Each frame's delivery latency is its receive time minus the send time the
 * writer put in the payload; both are `performance.timeOrigin + performance.now()`, which processes on one
 * machine share (the parent also measures the offset over IPC and reports it).
 *
 *   tsx bench/sync-fanout/subscribers.ts      (config arrives over IPC as a "start" message)
 */
import { type EventLoopUtilization, performance } from "node:perf_hooks";
import { io, type Socket } from "socket.io-client";
import WebSocket from "ws";
import { childChannel, cpuWindow } from "./child.js";
import { DASHBOARD_ID, nowMs, readStamp, type SubscriberConfig, type SubscriberStats } from "./shared.js";

const ROOM = "bench";

interface Subscriber {
  close(): void;
}

let config: SubscriberConfig | undefined;
let latencies = new Float64Array(0);
let fromDue = new Float64Array(0);
let lastSeq = new Int32Array(0);
/** Per measured patch (index seq − warmup): its earliest and latest delivery latency over all subscribers. */
let firstByPatch = new Float64Array(0);
let lastByPatch = new Float64Array(0);
let recorded = 0;
let expected = 0;
let outOfOrder = 0;
let closed = 0;
let stopping = false;
let doneSent = false;
/** Our own CPU and event-loop use from the first measured frame to the last (is the receiving side the limit?). */
let windowStart: { cpu: NodeJS.CpuUsage; elu: EventLoopUtilization } | undefined;
let windowEnd: { cpuUs: number; elu: number } | undefined;
const subscribers: Subscriber[] = [];
/** The same window as the server's, for the parent's account of who used the machine's CPU. */
const sharedWindow = cpuWindow();

const reply = childChannel((message) => {
  switch (message.type) {
    case "start":
      config = message.config;
      void connectAll(message.config).catch((error: unknown) => {
        reply({ type: "fatal", message: error instanceof Error ? error.message : String(error) });
      });
      return;
    case "clock":
      reply({ type: "clock", t0: message.t0, t: nowMs() });
      return;
    case "cpu-start":
      sharedWindow.start();
      reply({ type: "cpu-started" });
      return;
    case "cpu-stop":
      reply({ type: "cpu", cpu: sharedWindow.stop() });
      return;
    case "report":
      reply({ type: "report", stats: stats() });
      return;
    case "stop":
      stopping = true;
      for (const subscriber of subscribers) subscriber.close();
      setTimeout(() => process.exit(0), 200);
      return;
  }
});

/** Called first thing for every frame a subscriber receives, with the time it was handed to us. */
function onFrame(index: number, receivedAtMs: number, text: string): void {
  const stamp = readStamp(text);
  // Negative seqs are the pre-warm, sent before anyone subscribed (a snapshot can still carry the last one).
  if (!stamp || !config || stamp.seq < 0) return;
  if (stamp.seq <= lastSeq[index]!) outOfOrder++;
  lastSeq[index] = stamp.seq;
  if (stamp.seq < config.warmup || stamp.seq >= config.warmup + config.measured) return;
  if (!windowStart) windowStart = { cpu: process.cpuUsage(), elu: performance.eventLoopUtilization() };
  const latency = receivedAtMs - stamp.sentAtMs;
  const patch = stamp.seq - config.warmup;
  firstByPatch[patch] = Math.min(firstByPatch[patch]!, latency);
  lastByPatch[patch] = Math.max(lastByPatch[patch]!, latency);
  if (recorded < latencies.length) {
    latencies[recorded] = latency;
    fromDue[recorded++] = receivedAtMs - stamp.dueAtMs;
  }
  if (recorded === expected && !doneSent) {
    closeWindow();
    doneSent = true;
    reply({ type: "done" });
  }
}

function closeWindow(): void {
  if (!windowStart || windowEnd) return;
  const cpu = process.cpuUsage(windowStart.cpu);
  windowEnd = {
    cpuUs: cpu.user + cpu.system,
    elu: performance.eventLoopUtilization(windowStart.elu).utilization,
  };
}

function onClose(): void {
  if (!stopping) closed++;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string, onTimeout: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onTimeout();
      reject(new Error(`${what}: no answer within ${ms} ms`));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Raw ws and agentboard: a `ws` client; agentboard's also authenticates and waits for its snapshot. */
function connectWs(index: number, cfg: SubscriberConfig): Promise<Subscriber> {
  const agentboard = cfg.kind === "agentboard";
  const socket = new WebSocket(cfg.url, {
    perMessageDeflate: false,
    headers: agentboard ? { authorization: `Bearer ${cfg.token}` } : undefined,
  });
  const subscriber: Subscriber = { close: () => socket.terminate() };
  const ready = new Promise<Subscriber>((resolve, reject) => {
    let subscribed = !agentboard;
    socket.on("message", (data) => {
      const receivedAtMs = nowMs();
      const text = data.toString();
      if (subscribed) return onFrame(index, receivedAtMs, text);
      if (text.includes('"type":"snapshot"')) {
        subscribed = true;
        resolve(subscriber);
      } else if (text.includes('"type":"error"')) {
        reject(new Error(`subscribe refused: ${text.slice(0, 200)}`));
      }
    });
    socket.once("open", () => {
      if (!agentboard) return resolve(subscriber);
      socket.send(JSON.stringify({ type: "subscribe", id: `s${index}`, dashboardId: DASHBOARD_ID }));
    });
    socket.once("error", reject);
    socket.once("close", (code) => {
      onClose();
      reject(new Error(`closed with ${code} before it was ready`));
    });
  });
  return withTimeout(ready, cfg.connectTimeoutMs, `subscriber ${index}`, () => socket.terminate());
}

function connectSocketIo(index: number, cfg: SubscriberConfig): Promise<Subscriber> {
  const socket: Socket = io(cfg.url, {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    timeout: cfg.connectTimeoutMs,
  });
  const subscriber: Subscriber = { close: () => socket.disconnect() };
  socket.on("patch", (frame: { ops: Array<{ value: string }> }) => {
    onFrame(index, nowMs(), frame.ops[0]!.value);
  });
  const ready = new Promise<Subscriber>((resolve, reject) => {
    socket.once("connect", () => {
      socket.on("disconnect", onClose);
      socket
        .timeout(cfg.connectTimeoutMs)
        .emitWithAck("join", ROOM)
        .then(() => resolve(subscriber), reject);
    });
    socket.once("connect_error", reject);
  });
  return withTimeout(ready, cfg.connectTimeoutMs, `subscriber ${index}`, () => socket.disconnect());
}

/** Connects in batches (connectBatch at a time) so 1000 sockets do not arrive as one SYN burst. */
async function connectAll(cfg: SubscriberConfig): Promise<void> {
  expected = cfg.subscribers * cfg.measured;
  latencies = new Float64Array(expected);
  fromDue = new Float64Array(expected);
  lastSeq = new Int32Array(cfg.subscribers).fill(-1);
  firstByPatch = new Float64Array(cfg.measured).fill(Number.POSITIVE_INFINITY);
  lastByPatch = new Float64Array(cfg.measured).fill(Number.NEGATIVE_INFINITY);
  const connect = cfg.kind === "socketio" ? connectSocketIo : connectWs;
  const started = performance.now();
  for (let first = 0; first < cfg.subscribers; first += cfg.connectBatch) {
    const batch: Array<Promise<Subscriber>> = [];
    for (let i = first; i < Math.min(cfg.subscribers, first + cfg.connectBatch); i++) {
      batch.push(connect(i, cfg));
    }
    const settled = await Promise.allSettled(batch);
    for (const result of settled) if (result.status === "fulfilled") subscribers.push(result.value);
    const failed = settled.find((result) => result.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }
  reply({ type: "ready", connectMs: performance.now() - started });
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

function stats(): SubscriberStats {
  closeWindow();
  const sorted = latencies.slice(0, recorded).sort();
  const sortedFromDue = fromDue.slice(0, recorded).sort();
  const p50 = percentile(sorted, 50);
  const p99 = percentile(sorted, 99);
  let tailPatches = 0;
  let tailPatchesLateFromStart = 0;
  for (let patch = 0; patch < lastByPatch.length; patch++) {
    if (!(lastByPatch[patch]! > p99)) continue;
    tailPatches++;
    if (firstByPatch[patch]! > p50) tailPatchesLateFromStart++;
  }
  return {
    expected,
    received: recorded,
    p50Ms: p50,
    p99Ms: p99,
    maxMs: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
    minMs: sorted.length ? sorted[0]! : Number.NaN,
    p50FromDueMs: percentile(sortedFromDue, 50),
    p99FromDueMs: percentile(sortedFromDue, 99),
    cpuUsPerDelivery: windowEnd && recorded ? windowEnd.cpuUs / recorded : Number.NaN,
    elu: windowEnd?.elu ?? Number.NaN,
    outOfOrder,
    closed,
    tailPatches,
    tailPatchesLateFromStart,
  };
}
