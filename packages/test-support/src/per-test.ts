import { afterEach, beforeEach } from "vitest";
import { startTestServer, type TestServer } from "./test-server.js";

interface Closable {
  close(): unknown;
}

/**
 * Starts something fresh before each test of the enclosing suite (by default a server from
 * `startTestServer()`; a mode's server or a cluster through `start`) and closes it after the test; `setUp`
 * receives it, to keep it and make what the tests share (callers, widgets). Declare lists from
 * `closedAfterEach` after this call: after-hooks run in reverse order, so their sockets and clients close
 * before the server does.
 */
export function startEachTest<T extends Closable = TestServer>(
  setUp: (started: T) => unknown,
  start: () => Promise<T> = () => startTestServer() as unknown as Promise<T>,
): void {
  let started: T | undefined;
  beforeEach(async () => {
    started = await start();
    await setUp(started);
  });
  afterEach(async () => {
    const open = started;
    started = undefined;
    await open?.close();
  });
}

/** A list whose items (sockets, board clients, replicas) are closed together and dropped after each test. */
export function closedAfterEach<T extends Closable>(): T[] {
  const items: T[] = [];
  afterEach(async () => {
    await Promise.all(items.splice(0).map((item) => item.close()));
  });
  return items;
}
