import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { sharedTextFrame, sharedTextFrameWriter } from "./shared-text-frame.js";

function writeSharedTextFrame(socket: WebSocket, payload: Buffer): boolean {
  const write = sharedTextFrameWriter(socket);
  if (!write) throw new Error("no shared-frame writer for this socket");
  return write(payload);
}

/** A real ws server and client on loopback; `server` is the server side of the one connection. */
async function connect(perMessageDeflate = false) {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate });
  await new Promise<void>((resolve) => wss.once("listening", resolve));
  const accepted = new Promise<WebSocket>((resolve) => wss.once("connection", resolve));
  const client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, {
    perMessageDeflate,
  });
  const received: string[] = [];
  let onReceived: (() => void) | undefined;
  client.on("message", (data, isBinary) => {
    expect(isBinary).toBe(false);
    received.push(data.toString());
    onReceived?.();
  });
  await new Promise<void>((resolve, reject) => {
    client.once("open", resolve);
    client.once("error", reject);
  });
  const server = await accepted;
  cleanups.push(async () => {
    client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
  /** Resolves once `count` frames have arrived (listens first, then checks what is already there); one wait at a time. */
  const waitFor = (count: number) =>
    new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        onReceived = undefined;
        reject(new Error(`got ${received.length} of ${count} frames`));
      }, 5_000);
      onReceived = () => {
        if (received.length < count) return;
        clearTimeout(timer);
        onReceived = undefined;
        resolve(received);
      };
      onReceived();
    });
  return { server, client, received, waitFor };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe("shared text frames", () => {
  it("deliver payloads of every length class intact, as text, through ws's own receiver", async () => {
    const { server, waitFor } = await connect();
    // 0 / 125: one length byte; 126 / 65535: 16-bit length; 65536 and up: 64-bit length.
    const lengths = [0, 1, 125, 126, 1_180, 65_535, 65_536, 300_000];
    const payloads = lengths.map((n, i) => "é".repeat(Math.floor(n / 2)) + String(i % 10).repeat(n % 2));
    for (const text of payloads) expect(writeSharedTextFrame(server, Buffer.from(text))).toBe(true);
    expect(await waitFor(payloads.length)).toEqual(payloads);
  });

  it("keeps order with frames ws writes itself, and frames each payload once", async () => {
    const { server, waitFor } = await connect();
    const shared = Buffer.from('{"type":"patch"}');
    server.send("first");
    expect(writeSharedTextFrame(server, shared)).toBe(true);
    server.send("third");
    expect(writeSharedTextFrame(server, shared)).toBe(true);
    expect(await waitFor(4)).toEqual(["first", '{"type":"patch"}', "third", '{"type":"patch"}']);
    expect(sharedTextFrame(shared)).toBe(sharedTextFrame(shared));
  });

  it("steps aside once the socket is closing (false), and is not offered when an extension is negotiated", async () => {
    const closing = await connect();
    const write = sharedTextFrameWriter(closing.server);
    closing.server.close(1000, "bye");
    expect(write?.(Buffer.from("late"))).toBe(false);

    const deflate = await connect(true);
    expect(deflate.server.extensions).not.toBe("");
    expect(sharedTextFrameWriter(deflate.server)).toBeUndefined();
  });
});
