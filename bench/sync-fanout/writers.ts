/**
 * The single writer of the sync fan-out benchmark, one per server kind. It runs in the parent process, so it
 * shares a process with neither the server nor the subscribers. Frames are stamped with the time they are
 * built and sent, and with their due time by the schedule. agentboard's writer also waits for the `ack` (the
 * next baseRev) before it returns: if acks come slower than every 10 ms, it falls behind its schedule.
 */
import { io, type Socket } from "socket.io-client";
import WebSocket from "ws";
import { DASHBOARD_ID, patchFrame, type ServerKind, type ServerReady } from "./shared.js";

export interface Writer {
  /** Sends message `seq` (due at `dueAtMs` by the schedule); resolves when the next one may be sent. */
  send(seq: number, dueAtMs: number): Promise<void>;
  close(): void;
}

function openWs(url: string, timeoutMs: number, headers?: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { perMessageDeflate: false, headers });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`writer: no connection to ${url} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("open", () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

async function rawWsWriter(ready: ServerReady, timeoutMs: number): Promise<Writer> {
  const socket = await openWs(`${ready.url}/writer`, timeoutMs);
  return {
    async send(seq, dueAtMs) {
      socket.send(JSON.stringify(patchFrame(seq, dueAtMs)));
    },
    close: () => socket.terminate(),
  };
}

async function socketIoWriter(ready: ServerReady, timeoutMs: number): Promise<Writer> {
  const socket: Socket = io(ready.url, {
    transports: ["websocket"],
    reconnection: false,
    forceNew: true,
    timeout: timeoutMs,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
  return {
    async send(seq, dueAtMs) {
      const { type: _type, ...frame } = patchFrame(seq, dueAtMs);
      socket.emit("patch", frame);
    },
    close: () => socket.disconnect(),
  };
}

/**
 * agentboard: the writer's own authenticated WebSocket (not subscribed, so it gets no echo), sending `patch`
 * frames with baseRev = the rev of its previous ack; a nack or a missing ack aborts the run.
 */
async function agentboardWriter(ready: ServerReady, timeoutMs: number): Promise<Writer> {
  const socket = await openWs(ready.url, timeoutMs, { authorization: `Bearer ${ready.writerToken}` });
  let baseRev = ready.rev ?? 0;
  let pending: { id: string; resolve(rev: number): void; reject(error: Error): void } | undefined;
  socket.on("message", (data) => {
    const frame = JSON.parse(data.toString()) as { type: string; id?: string; rev?: number };
    if (!pending || frame.id !== pending.id) return;
    const { resolve, reject } = pending;
    pending = undefined;
    if (frame.type === "ack" && typeof frame.rev === "number") resolve(frame.rev);
    else reject(new Error(`writer: answer ${JSON.stringify(frame).slice(0, 300)}`));
  });
  socket.on("close", (code) => pending?.reject(new Error(`writer socket closed with ${code}`)));
  return {
    async send(seq, dueAtMs) {
      const { ops, origin } = patchFrame(seq, dueAtMs);
      const id = `p${seq}`;
      const acked = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`writer: no ack for ${id} in ${timeoutMs} ms`)),
          timeoutMs,
        );
        pending = {
          id,
          resolve: (rev) => {
            clearTimeout(timer);
            resolve(rev);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        };
      });
      socket.send(JSON.stringify({ type: "patch", id, dashboardId: DASHBOARD_ID, baseRev, ops, ...origin }));
      baseRev = await acked;
    },
    close: () => socket.terminate(),
  };
}

export function openWriter(kind: ServerKind, ready: ServerReady, timeoutMs: number): Promise<Writer> {
  switch (kind) {
    case "ws":
      return rawWsWriter(ready, timeoutMs);
    case "socketio":
      return socketIoWriter(ready, timeoutMs);
    case "agentboard":
      return agentboardWriter(ready, timeoutMs);
  }
}
