/**
 * Server child of the sync fan-out benchmark: one of the three servers, alone in its process so that its CPU
 * can be measured by itself (process.cpuUsage over the window the parent marks with cpu-start / cpu-stop).
 *
 *   tsx bench/sync-fanout/server.ts ws|socketio|agentboard
 *
 * - ws: a minimal `ws` server that forwards each writer frame to every other client (the limit).
 * - socketio: Socket.IO, subscribers join a room, the writer emits, the server does `to(room).emit`.
 * - agentboard: the real server (`startTestServer`: Fastify, auth, SQLite, realtime hub) on loopback.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { startTestServer } from "@agentboard/test-support";
import { Server as SocketIoServer } from "socket.io";
import { type WebSocket, WebSocketServer } from "ws";
import { childChannel, cpuWindow } from "./child.js";
import { DASHBOARD_ID, type ServerKind, type ServerReady, WIDGET_ID } from "./shared.js";

const ROOM = "bench";

interface Running {
  ready: ServerReady;
  close(): Promise<void>;
}

async function startRawWs(): Promise<Running> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once("listening", resolve));
  const subscribers = new Set<WebSocket>();
  wss.on("connection", (socket, request) => {
    if (request.url === "/writer") {
      socket.on("message", (data, isBinary) => {
        for (const client of subscribers) client.send(data, { binary: isBinary });
      });
      return;
    }
    subscribers.add(socket);
    socket.on("close", () => subscribers.delete(socket));
  });
  const { port } = wss.address() as AddressInfo;
  return {
    ready: { url: `ws://127.0.0.1:${port}` },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      }),
  };
}

async function startSocketIo(): Promise<Running> {
  const http = createServer();
  const io = new SocketIoServer(http, { transports: ["websocket"], serveClient: false });
  io.on("connection", (socket) => {
    socket.on("join", (room: string, ack: () => void) => {
      void socket.join(room);
      ack();
    });
    socket.on("patch", (frame: unknown) => {
      socket.to(ROOM).emit("patch", frame);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    ready: { url: `http://127.0.0.1:${port}` },
    close: async () => {
      io.disconnectSockets(true);
      await io.close();
    },
  };
}

async function startAgentboard(): Promise<Running> {
  const server = await startTestServer({
    AGENTBOARD_LOG_LEVEL: "silent",
    AGENTBOARD_WS_MESSAGES_PER_SECOND: "100000",
    AGENTBOARD_RATE_LIMIT_PER_MINUTE: "1000000",
  });
  try {
    const writer = await server.caller({ name: "bench-writer" });
    // One user token shared by every subscriber socket (1000 principals would only slow the setup).
    const subscriber = await server.caller({ name: "bench-subscriber" });
    const created = await writer.request("PUT", `/api/dashboards/${DASHBOARD_ID}/widgets/${WIDGET_ID}`, {
      type: "note",
      title: WIDGET_ID,
      props: { markdown: "x" },
    });
    if (created.status !== 200 || typeof created.body?.rev !== "number") {
      throw new Error(`PUT widget answered ${created.status}`);
    }
    return {
      ready: {
        url: `${server.url.replace(/^http/, "ws")}/api/realtime`,
        writerToken: writer.token,
        subscriberToken: subscriber.token,
        rev: created.body.rev as number,
        dataDir: server.dataDir,
      },
      close: () => server.close(),
    };
  } catch (error) {
    await server.close();
    throw error;
  }
}

async function main(): Promise<void> {
  const kind = process.argv[2] as ServerKind;
  const starters: Record<ServerKind, () => Promise<Running>> = {
    ws: startRawWs,
    socketio: startSocketIo,
    agentboard: startAgentboard,
  };
  const start = starters[kind];
  if (!start) throw new Error(`unknown server kind ${kind}`);

  /** Set before the server starts, so a stop during startup still closes it (and removes its data dir). */
  let starting: Promise<Running> | undefined;
  const cpuMeter = cpuWindow();
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const hardExit = setTimeout(() => process.exit(0), 5_000);
    void (starting ?? Promise.resolve(undefined))
      .then((running) => running?.close())
      .catch(() => {})
      .finally(() => {
        clearTimeout(hardExit);
        process.exit(0);
      });
  };
  const reply = childChannel((message) => {
    switch (message.type) {
      case "cpu-start":
        cpuMeter.start();
        reply({ type: "cpu-started" });
        return;
      case "cpu-stop":
        reply({ type: "cpu", cpu: cpuMeter.stop() });
        return;
      case "stop":
        stop();
        return;
    }
  }, stop);
  process.on("SIGTERM", stop);
  starting = start();
  const running = await starting;
  reply({ type: "ready", ready: running.ready });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
