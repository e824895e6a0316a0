import type { ServerMessage } from "@agentboard/protocol";
import WebSocket from "ws";
import type { Caller, TestServer } from "./test-server.js";

/**
 * A raw WebSocket client for hub tests: records every frame and lets a test await the next frame matching a
 * predicate (with a deadline, reporting what did arrive on failure), so tests never sleep-and-hope.
 */
export class WsClient {
  readonly frames: ServerMessage[] = [];
  closeCode: number | undefined;
  private cursor = 0;
  private waiters: Array<() => void> = [];
  private seq = 0;

  constructor(readonly socket: WebSocket) {
    socket.on("message", (data) => {
      this.frames.push(JSON.parse(data.toString()) as ServerMessage);
      this.wake();
    });
    socket.on("close", (code) => {
      this.closeCode = code;
      this.wake();
    });
  }

  private wake() {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  send(message: Record<string, unknown>): string {
    const id = (message.id as string | undefined) ?? `r${++this.seq}`;
    this.socket.send(JSON.stringify({ ...message, id }));
    return id;
  }

  /** Resolves with the first not-yet-consumed frame matching `match`; frames before it are skipped. */
  async next<T extends ServerMessage["type"]>(
    type: T,
    match: (frame: Extract<ServerMessage, { type: T }>) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<Extract<ServerMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.cursor < this.frames.length) {
        const frame = this.frames[this.cursor++]!;
        if (frame.type === type && match(frame as Extract<ServerMessage, { type: T }>)) {
          return frame as Extract<ServerMessage, { type: T }>;
        }
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0 || this.closeCode !== undefined) {
        const seen = this.frames.slice(-5).map((f) => JSON.stringify(f).slice(0, 200));
        throw new Error(
          `no "${type}" frame within ${timeoutMs} ms (closed: ${this.closeCode}); last frames: ${seen.join(" | ")}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The answer (`ack`, `nack` or `error`) to request `id`, wherever it is in the stream (ignores the cursor). */
  async answer(id: string, timeoutMs = 5_000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(
        (f) => (f.type === "ack" || f.type === "nack" || f.type === "error") && f.id === id,
      );
      if (found) return found;
      const remaining = deadline - Date.now();
      if (remaining <= 0 || this.closeCode !== undefined)
        throw new Error(`no answer to ${id} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Frames not consumed by next() yet. */
  rest(): ServerMessage[] {
    return this.frames.slice(this.cursor);
  }

  async closed(timeoutMs = 5_000): Promise<number> {
    if (this.closeCode !== undefined) return this.closeCode;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("socket did not close")), timeoutMs);
      this.socket.once("close", (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once("close", () => resolve());
      this.socket.close();
    });
  }
}

export async function ticketFor(caller: Caller): Promise<string> {
  const { status, body } = await caller.request("POST", "/api/realtime/ticket");
  if (status !== 200) throw new Error(`ticket: ${status} ${JSON.stringify(body)}`);
  return body.ticket as string;
}

/** Opens a socket; resolves once open, or rejects with the HTTP status of a refused upgrade. */
export function openSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once("open", () => resolve(socket));
    socket.once("unexpected-response", (request, response) => {
      // Handling this event makes cleanup ours: without destroying the request the connection stays open.
      request.destroy();
      reject(
        Object.assign(new Error(`upgrade refused: ${response.statusCode}`), { status: response.statusCode }),
      );
    });
    socket.once("error", reject);
  });
}

export async function connect(server: TestServer, caller: Caller): Promise<WsClient> {
  const ticket = await ticketFor(caller);
  return new WsClient(await openSocket(`${server.url.replace("http", "ws")}/api/realtime?ticket=${ticket}`));
}
