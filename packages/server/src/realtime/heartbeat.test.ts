import { CLOSE_CODES } from "@agentboard/protocol";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Principal } from "../auth/principal.js";
import { HEARTBEAT_SLICES, RealtimeHub } from "./realtime-hub.js";
import type { RealtimeSocket } from "./realtime-socket.js";

/**
 * The hub's heartbeat on its own clock (fake timers) with sockets that record what the hub does to them.
 * Whether a real `ws` peer that stops answering is closed is tested end to end in test/realtime/security.test.ts;
 * this is about when the pings go out.
 */
const HEARTBEAT_MS = 30_000;
const TICK_MS = HEARTBEAT_MS / HEARTBEAT_SLICES;

class RecordingSocket implements RealtimeSocket {
  pings: number[] = [];
  closedWith: number | undefined;
  terminated = false;
  answersPings = true;
  private pong: () => void = () => {};
  private closeListeners: Array<() => void> = [];
  readonly bufferedAmount = 0;
  send(): void {}
  close(code: number): void {
    this.closedWith = code;
  }
  terminate(): void {
    this.terminated = true;
    for (const listener of this.closeListeners) listener();
  }
  ping(): void {
    this.pings.push(Date.now());
    if (this.answersPings) queueMicrotask(this.pong);
  }
  onMessage(): void {}
  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }
  onPong(listener: () => void): void {
    this.pong = listener;
  }
}

const principal: Principal = {
  kind: "user",
  id: "usr_1",
  name: "Ada",
  role: "owner",
  workspaceId: "ws_1",
  workspaceName: "One",
};

describe("realtime heartbeat", () => {
  let hub: RealtimeHub;

  beforeEach(() => {
    vi.useFakeTimers();
    hub = new RealtimeHub({
      heartbeatMs: HEARTBEAT_MS,
      maxBufferedBytes: 1 << 20,
      messagesPerSecond: 100,
      log: { warn() {}, error() {} },
    });
  });
  afterEach(() => {
    hub.close();
    vi.useRealTimers();
  });

  it("pings every connection once per interval, a slice per tick instead of all at once", async () => {
    const sockets = Array.from({ length: 1000 }, () => new RecordingSocket());
    for (const socket of sockets) hub.accept(socket, principal);
    const perTick: number[] = [];
    for (let tick = 0; tick < HEARTBEAT_SLICES * 3; tick++) {
      const before = sockets.reduce((n, s) => n + s.pings.length, 0);
      await vi.advanceTimersByTimeAsync(TICK_MS);
      perTick.push(sockets.reduce((n, s) => n + s.pings.length, 0) - before);
    }
    // Even slices: each tick pings a tenth of the connections, never the whole audience.
    expect(perTick).toEqual(Array(HEARTBEAT_SLICES * 3).fill(1000 / HEARTBEAT_SLICES));
    for (const socket of sockets) {
      expect(socket.pings).toHaveLength(3);
      expect(socket.pings[1]! - socket.pings[0]!).toBe(HEARTBEAT_MS);
      expect(socket.pings[2]! - socket.pings[1]!).toBe(HEARTBEAT_MS);
    }
    expect(hub.connectionCount).toBe(1000);
  });

  it("closes a connection that did not answer within one interval, and only that one", async () => {
    const live = new RecordingSocket();
    const dead = new RecordingSocket();
    dead.answersPings = false;
    hub.accept(live, principal);
    hub.accept(dead, principal);
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(dead.pings).toHaveLength(1);
    expect(dead.terminated).toBe(false);
    await vi.advanceTimersByTimeAsync(HEARTBEAT_MS);
    expect(dead.closedWith).toBe(CLOSE_CODES.heartbeatTimeout);
    expect(dead.terminated).toBe(true);
    expect(live.terminated).toBe(false);
    expect(live.pings).toHaveLength(2);
    expect(hub.connectionCount).toBe(1);
  });

  it("keeps the slices even as connections come and go", async () => {
    const first = Array.from({ length: 100 }, () => new RecordingSocket());
    for (const socket of first) hub.accept(socket, principal);
    // Connections fill the slices in turn (i % 10); every connection of three slices leaves, and the
    // newcomers fill those three slices instead of spreading over all ten.
    const leaving = first.filter((_, i) => i % HEARTBEAT_SLICES < 3);
    for (const socket of leaving) socket.terminate();
    const newcomers = Array.from({ length: 30 }, () => new RecordingSocket());
    for (const socket of newcomers) hub.accept(socket, principal);
    const all = [...first.filter((socket) => !leaving.includes(socket)), ...newcomers];
    const perTick: number[] = [];
    for (let tick = 0; tick < HEARTBEAT_SLICES; tick++) {
      const before = all.reduce((n, s) => n + s.pings.length, 0);
      await vi.advanceTimersByTimeAsync(TICK_MS);
      perTick.push(all.reduce((n, s) => n + s.pings.length, 0) - before);
    }
    expect(perTick).toEqual(Array(HEARTBEAT_SLICES).fill(10));
  });
});
