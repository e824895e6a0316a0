import { afterAll, afterEach, beforeAll, beforeEach, onTestFinished } from "vitest";
import { type Cluster, startCluster } from "./cluster.js";
import { type Caller, startTestServer, type TestServer } from "./test-server.js";

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
  startAround(beforeEach, afterEach, setUp, start);
}

/** `startEachTest` once for the whole enclosing suite: started before its first test, closed after its last. */
export function startForSuite<T extends Closable = TestServer>(
  setUp: (started: T) => unknown,
  start: () => Promise<T> = () => startTestServer() as unknown as Promise<T>,
): void {
  startAround(beforeAll, afterAll, setUp, start);
}

function startAround<T extends Closable>(
  before: typeof beforeEach,
  after: typeof afterEach,
  setUp: (started: T) => unknown,
  start: () => Promise<T>,
): void {
  let started: T | undefined;
  before(async () => {
    started = await start();
    await setUp(started);
  });
  after(async () => {
    const open = started;
    started = undefined;
    await open?.close();
  });
}

/** Something the current test starts for itself (a server with other settings), closed when the test ends. */
export async function closedAfterTest<T extends Closable>(starting: Promise<T>): Promise<T> {
  const started = await starting;
  onTestFinished(async () => {
    await started.close();
  });
  return started;
}

/** A list whose items (sockets, board clients, replicas) are closed together and dropped after each test. */
export function closedAfterEach<T extends Closable>(): T[] {
  const items: T[] = [];
  afterEach(async () => {
    await Promise.all(items.splice(0).map((item) => item.close()));
  });
  return items;
}

/** Who to make on each test's server: `TestServer.caller` options by name. */
export type CallerSpecs<K extends string> = Record<K, Parameters<TestServer["caller"]>[0]>;

/** The callers `specs` names, made on a server or a cluster in that order. */
export async function callersOn<K extends string>(
  on: { caller(options: CallerSpecs<K>[K]): Promise<Caller> },
  specs: CallerSpecs<K>,
): Promise<Record<K, Caller>> {
  const callers = {} as Record<K, Caller>;
  for (const [name, options] of Object.entries(specs) as Array<[K, CallerSpecs<K>[K]]>) {
    callers[name] = await on.caller(options);
  }
  return callers;
}

/** The current test's server and callers, as `callersEachTest` gives them. */
export type LiveCallers<K extends string> = Record<K, Caller> & { readonly server: TestServer };

/**
 * A fresh server (from `start`) with the callers `specs` names, made in that order, for each test of the
 * enclosing suite, closed after it. The returned object reads the current test's (`t.alice`, `t.server`):
 * use it inside tests and hooks only.
 */
export function callersEachTest<K extends string>(
  specs: CallerSpecs<K>,
  start?: () => Promise<TestServer>,
): LiveCallers<K> {
  return liveCallers(startEachTest, specs, start);
}

/** `callersEachTest` once for the whole enclosing suite: one server and its callers shared by its tests. */
export function callersForSuite<K extends string>(
  specs: CallerSpecs<K>,
  start?: () => Promise<TestServer>,
): LiveCallers<K> {
  return liveCallers(startForSuite, specs, start);
}

function liveCallers<K extends string>(
  around: typeof startEachTest<TestServer>,
  specs: CallerSpecs<K>,
  start?: () => Promise<TestServer>,
): LiveCallers<K> {
  let current: { server: TestServer; callers: Record<K, Caller> } | undefined;
  around(async (server) => {
    current = { server, callers: await callersOn(server, specs) };
  }, start);
  return liveView(() => current && { ...current.callers, server: current.server });
}

/** The current test's cluster and callers, as `clusterEachTest` gives them. */
export type LiveClusterCallers<K extends string> = Record<K, Caller> & { readonly cluster: Cluster };

/**
 * `callersEachTest` for a cluster: a fresh two-node cluster (Redis + PostgreSQL, see `startCluster`) with the
 * callers `specs` names for each test, closed after it; read `t.cluster`, `t.alice` inside tests only.
 */
export function clusterEachTest<K extends string>(
  specs: CallerSpecs<K>,
  start: () => Promise<Cluster> = () => startCluster({ nodes: 2 }),
): LiveClusterCallers<K> {
  let current: (Record<K, Caller> & { cluster: Cluster }) | undefined;
  startEachTest(async (cluster) => {
    current = { ...(await callersOn(cluster, specs)), cluster };
  }, start);
  return liveView(() => current);
}

/** An object whose members are read from `now()` at each access, so it can be kept across tests. */
export function liveView<T extends object>(now: () => T | undefined): T {
  return new Proxy({} as T, {
    get(_, member) {
      const value = now();
      if (!value) throw new Error(`${String(member)} is read outside a test`);
      return value[member as keyof T];
    },
  });
}
