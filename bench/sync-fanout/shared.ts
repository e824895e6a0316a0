/**
 * What the three processes of the sync fan-out benchmark (bench/sync-fanout.bench.ts) agree on: the server
 * kinds, the payload with its embedded send timestamp, and the IPC messages between parent and children.
 */

export type ServerKind = "ws" | "socketio" | "agentboard";

export const SERVER_LABELS: Record<ServerKind, string> = {
  ws: "raw ws broadcast",
  socketio: "Socket.IO room",
  agentboard: "agentboard",
};

/** The shared dashboard every agentboard subscriber follows, and the one widget prop the writer replaces. */
export const DASHBOARD_ID = "bench";
export const WIDGET_ID = "w";
export const PATCH_PATH = `/widgets/${WIDGET_ID}/props/markdown`;

/** Characters of the replaced markdown value; the whole frame on the wire is ~1.2 KB. */
export const VALUE_CHARS = 1_000;

const TS_MARK = "@ts=";
const DUE_MARK = "@due=";
const SEQ_MARK = "@seq=";
const FILLER = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor. ".repeat(20);

/** When message `seq` left the writer, and when its 100/s schedule said it should (both wall-clock ms). */
export interface Stamp {
  seq: number;
  sentAtMs: number;
  dueAtMs: number;
}

/** The ~1 KB markdown value: the stamp, then filler. */
export function makeValue(stamp: Stamp): string {
  const head = `${TS_MARK}${stamp.sentAtMs.toFixed(4)}${DUE_MARK}${stamp.dueAtMs.toFixed(4)}${SEQ_MARK}${stamp.seq}@ `;
  return head + FILLER.slice(0, VALUE_CHARS - head.length);
}

/** Finds the stamp in a frame's text without parsing the JSON, so every server's frames cost the same. */
export function readStamp(text: string): Stamp | null {
  const at = text.indexOf(TS_MARK);
  if (at < 0) return null;
  const dueAt = text.indexOf(DUE_MARK, at);
  const seqAt = text.indexOf(SEQ_MARK, dueAt);
  const end = text.indexOf("@", seqAt + SEQ_MARK.length);
  if (dueAt < 0 || seqAt < 0 || end < 0) return null;
  return {
    sentAtMs: Number(text.slice(at + TS_MARK.length, dueAt)),
    dueAtMs: Number(text.slice(dueAt + DUE_MARK.length, seqAt)),
    seq: Number(text.slice(seqAt + SEQ_MARK.length, end)),
  };
}

/** Wall-clock milliseconds comparable across processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The frame every server delivers, in agentboard's wire shape (raw ws forwards it byte for byte). */
export function patchFrame(seq: number, dueAtMs: number) {
  return {
    type: "patch" as const,
    dashboardId: DASHBOARD_ID,
    rev: seq + 1,
    ops: [
      { op: "replace" as const, path: PATCH_PATH, value: makeValue({ seq, sentAtMs: nowMs(), dueAtMs }) },
    ],
    origin: { clientId: "bench-writer", mutationId: `m${seq}` },
  };
}

export interface ServerReady {
  /** ws:// URL for raw ws and agentboard, http:// for Socket.IO. */
  url: string;
  writerToken?: string;
  subscriberToken?: string;
  /** agentboard: the dashboard's rev after the widget was created (the writer's first baseRev). */
  rev?: number;
  /** agentboard: its temp data dir, which the parent removes if it has to SIGKILL the server. */
  dataDir?: string;
}

export interface SubscriberConfig {
  kind: ServerKind;
  url: string;
  token?: string;
  subscribers: number;
  /** Messages before the measured window (seq < warmup): delivered but not recorded. */
  warmup: number;
  measured: number;
  connectBatch: number;
  connectTimeoutMs: number;
}

export interface SubscriberStats {
  expected: number;
  received: number;
  /** Send → receive. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  minMs: number;
  /** Schedule → receive: also counts the time the writer was held back (it waits for agentboard's acks). */
  p50FromDueMs: number;
  p99FromDueMs: number;
  /** The subscriber process's own CPU per delivery and event-loop utilization over the measured window. */
  cpuUsPerDelivery: number;
  elu: number;
  /** Frames that arrived with a seq at or below the subscriber's previous one (must stay 0). */
  outOfOrder: number;
  /** Sockets that closed during the run (e.g. agentboard dropping a slow subscriber). */
  closed: number;
  /**
   * How concentrated the tail is: the patches with at least one delivery above the p99, and how many of
   * them reached even their first subscriber later than the median delivery (held up before or at the
   * start of the fan-out, not only slow at its end). With 100 subscribers a handful of patches can make
   * the whole p99.
   */
  tailPatches: number;
  tailPatchesLateFromStart: number;
}

export interface CpuReport {
  userUs: number;
  systemUs: number;
  /** Event-loop utilization of the server over the window (0..1). */
  elu: number;
}

/** Parent → child and child → parent IPC messages. */
export type ParentMessage =
  | { type: "start"; config: SubscriberConfig }
  | { type: "clock"; t0: number }
  | { type: "cpu-start" }
  | { type: "cpu-stop" }
  | { type: "report" }
  | { type: "stop" };

export type ChildMessage =
  | { type: "ready"; ready?: ServerReady; connectMs?: number }
  | { type: "clock"; t0: number; t: number }
  | { type: "cpu-started" }
  | { type: "cpu"; cpu: CpuReport }
  | { type: "done" }
  | { type: "report"; stats: SubscriberStats }
  | { type: "fatal"; message: string };
