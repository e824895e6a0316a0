import { describe, expect, it } from "vitest";
import { backoffDelay, sleep } from "../src/backoff.js";
import { SendPacer } from "../src/realtime/send-pacer.js";
import { SyncError, SyncTimeoutError } from "../src/sync/sync-errors.js";
import { waitUntil } from "../src/sync/wait-until.js";
import { TypedEmitter } from "../src/typed-emitter.js";

/** Active timers of this process (vitest keeps some of its own, so tests compare against a baseline). */
const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === "Timeout").length;

describe("backoffDelay", () => {
  const options = { minDelayMs: 100, maxDelayMs: 1_000 };

  it("does not wait before the first try, then doubles with half of each step random, up to the cap", () => {
    expect(backoffDelay(0, options, () => 0.5)).toBe(0);
    expect([1, 2, 3, 4, 5, 50].map((n) => backoffDelay(n, options, () => 0))).toEqual([
      50, 100, 200, 400, 500, 500,
    ]);
    expect([1, 2, 3, 4, 5, 50].map((n) => backoffDelay(n, options, () => 1))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });

  it("spreads clients that retry together", () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(3, options)));
    expect(delays.size).toBeGreaterThan(10);
    for (const delay of delays) expect(delay).toBeGreaterThanOrEqual(200);
  });

  it("sleep ends early with the abort reason and leaves no timer", async () => {
    const before = timers();
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    expect(timers()).toBe(before + 1);
    controller.abort(new Error("closed"));
    await expect(slept).rejects.toThrow("closed");
    expect(timers()).toBe(before);
  });
});

describe("SendPacer", () => {
  it("lets a burst through, then one token per 1/rate s", () => {
    let now = 0;
    const pacer = new SendPacer(10, 3, () => now);
    expect([pacer.take(), pacer.take(), pacer.take()]).toEqual([0, 0, 0]);
    expect(pacer.take()).toBe(100);
    now = 50;
    expect(pacer.take()).toBe(50);
    now = 100;
    expect(pacer.take()).toBe(0);
    pacer.refund();
    expect(pacer.take()).toBe(0);
    now = 10_000;
    expect([pacer.take(), pacer.take(), pacer.take(), pacer.take()]).toEqual([0, 0, 0, 100]);
  });
});

describe("TypedEmitter", () => {
  it("isolates a throwing listener, reports its error, and unsubscribes per registration", () => {
    const failures: unknown[] = [];
    const emitter = new TypedEmitter<{ tick: [n: number] }>((error) => failures.push(error));
    const seen: number[] = [];
    const record = (n: number) => seen.push(n);
    const offA = emitter.on("tick", record);
    emitter.on("tick", () => {
      throw new Error("boom");
    });
    const offB = emitter.on("tick", record);
    emitter.emit("tick", 1);
    expect(seen).toEqual([1, 1]);
    expect(failures).toEqual([new Error("boom")]);
    offA();
    emitter.emit("tick", 2);
    expect(seen).toEqual([1, 1, 2]);
    offB();
    expect(emitter.listenerCount("tick")).toBe(1);
    emitter.clear();
    expect(emitter.listenerCount()).toBe(0);
  });
});

describe("waitUntil", () => {
  function source() {
    const listeners = new Set<() => void>();
    return {
      listeners,
      subscribe: (wake: () => void) => {
        listeners.add(wake);
        return () => listeners.delete(wake);
      },
      wake: () => {
        for (const listener of [...listeners]) listener();
      },
    };
  }

  it("resolves at once when the condition already holds (subscribe first, then check)", async () => {
    const updates = source();
    await waitUntil("x", () => true, updates.subscribe);
    expect(updates.listeners.size).toBe(0);
  });

  it("resolves on the update that makes the condition true, and cleans up", async () => {
    const updates = source();
    let done = false;
    const waiting = waitUntil("x", () => done, updates.subscribe);
    updates.wake();
    done = true;
    updates.wake();
    await waiting;
    expect(updates.listeners.size).toBe(0);
  });

  it("rejects on timeout, abort, or a throwing check, and always cleans up", async () => {
    const updates = source();
    const before = timers();
    const timedOut = waitUntil("the thing", () => false, updates.subscribe, { timeoutMs: 10 });
    await expect(timedOut).rejects.toBeInstanceOf(SyncTimeoutError);
    await expect(timedOut).rejects.toMatchObject({
      code: "sync_timeout",
      waitingFor: "the thing",
      timeoutMs: 10,
    });

    const controller = new AbortController();
    const aborted = waitUntil("x", () => false, updates.subscribe, { signal: controller.signal });
    controller.abort(new Error("stop"));
    await expect(aborted).rejects.toThrow("stop");
    const pre = waitUntil("x", () => true, updates.subscribe, { signal: controller.signal });
    await expect(pre).rejects.toThrow("stop");

    let fail = false;
    const failing = waitUntil(
      "x",
      () => {
        if (fail) throw new Error("closed");
        return false;
      },
      updates.subscribe,
    );
    fail = true;
    updates.wake();
    await expect(failing).rejects.toThrow("closed");
    expect(updates.listeners.size).toBe(0);
    expect(timers()).toBe(before);
    expect(SyncError.isInstance(new SyncTimeoutError("x", 1))).toBe(true);
    expect(SyncError.isInstance(new Error("x"))).toBe(false);
  });
});
