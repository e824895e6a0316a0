import { createBoardClient, type SyncClient } from "@agentboard/client";
import { validateDashboardState } from "@agentboard/protocol";
import {
  type Caller,
  type Cluster,
  DATABASE_URL,
  PrivateRedis,
  requestAs,
  startCluster,
  TcpBalancer,
} from "@agentboard/test-support";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { RedisDashboardStore } from "../../src/dashboards/redis-dashboard-store.js";

/**
 * Fault tests: a Redis of the test's own (so stopping or freezing it disturbs no other test) and a TCP
 * proxy in front of the shared PostgreSQL that the test can cut. Short store timeouts keep the file fast;
 * the defaults are 2 s (Redis) and 2 s / 5 s (PostgreSQL connect / statement).
 */
const TIMEOUTS = { redisCommandMs: 400, redisConnectMs: 400, postgresConnectMs: 500, postgresQueryMs: 1_000 };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface WriteLog {
  /** Task ids whose append was acknowledged (200), per writer. */
  acked: string[];
  /** Every non-200 answer: status and how long it took. */
  failures: Array<{ status: number; ms: number }>;
}

/**
 * One writer per node, each appending tasks to a list widget of its own (`list-<k>`), sequentially, with
 * a (clientId, mutationId) per task. A 503 is retried with the same ids until it is acknowledged, so every
 * task must end up in the document exactly once, whatever happened to the attempts in between.
 */
function startWriters(cluster: Cluster, caller: Caller, durationMs: number) {
  const logs: WriteLog[] = cluster.nodes.map(() => ({ acked: [], failures: [] }));
  const deadline = Date.now() + durationMs;
  const run = async (k: number) => {
    const log = logs[k]!;
    let baseRev = 0;
    for (let i = 0; Date.now() < deadline; i++) {
      const taskId = `t${k}-${i}`;
      for (;;) {
        const started = performance.now();
        const result = await requestAs(
          cluster.nodes[k]!.url,
          caller.token,
          "PATCH",
          "/api/dashboards/me/state",
          {
            baseRev,
            ops: [
              {
                op: "add",
                path: `/widgets/list-${k}/props/tasks/-`,
                value: { id: taskId, title: taskId, status: "todo" },
              },
            ],
            clientId: `writer-${k}`,
            mutationId: taskId,
          },
        ).catch(() => ({ status: 0, body: undefined }));
        if (result.status === 200) {
          log.acked.push(taskId);
          baseRev = result.body.rev;
          break;
        }
        log.failures.push({ status: result.status, ms: performance.now() - started });
        if (result.status === 409) baseRev = result.body.details.rev;
        else await sleep(50);
        if (Date.now() > deadline + 15_000) throw new Error(`writer ${k} could not write ${taskId}`);
      }
    }
  };
  return { logs, done: Promise.all(cluster.nodes.map((_, k) => run(k))) };
}

async function seedLists(caller: Caller, writers: number) {
  for (let k = 0; k < writers; k++) {
    const result = await caller.request("PUT", `/api/dashboards/me/widgets/list-${k}`, {
      type: "task_list",
      title: `list ${k}`,
      props: { tasks: [] },
    });
    expect(result.status).toBe(200);
  }
}

/** Every acknowledged task is in the document exactly once, and the stored document is valid. */
async function expectNothingLost(caller: Caller, logs: WriteLog[]) {
  const document = (await caller.request("GET", "/api/dashboards/me/state")).body;
  expect(() => validateDashboardState(document.state)).not.toThrow();
  logs.forEach((log, k) => {
    const ids = (document.state.widgets[`list-${k}`].props.tasks as Array<{ id: string }>).map((t) => t.id);
    expect(ids).toEqual(log.acked);
  });
  return document;
}

/** A live replica on `node` that must end up equal to the server's document. */
function replicaOn(cluster: Cluster, caller: Caller, node: number): SyncClient {
  const board = createBoardClient({
    url: cluster.nodes[node]!.url,
    token: caller.token,
    minReconnectDelayMs: 50,
    maxReconnectDelayMs: 300,
  });
  const sync = board.sync("me");
  sync.on("error", () => {});
  cleanups.push(() => sync.close());
  return sync;
}

async function converged(sync: SyncClient, caller: Caller, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const document = (await caller.request("GET", "/api/dashboards/me/state")).body;
    if (sync.rev === document.rev) {
      expect(sync.state).toEqual(document.state);
      return document;
    }
    if (Date.now() > deadline) throw new Error(`replica at rev ${sync.rev}, server at ${document.rev}`);
    await sleep(50);
  }
}

async function readyz(url: string) {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: (await response.json()) as any };
}

async function privateRedisCluster() {
  const redis = new PrivateRedis();
  await redis.start();
  cleanups.push(() => redis.stop());
  const cluster = await startCluster({ nodes: 2, redisUrl: redis.url, timeouts: TIMEOUTS });
  cleanups.push(() => cluster.close());
  const alice = await cluster.caller({ name: "alice" });
  return { redis, cluster, alice };
}

/** A cluster on a private Redis with seeded lists, a live replica on `replicaNode`, and writers under way. */
async function writingCluster(replicaNode: number) {
  const { redis, cluster, alice } = await privateRedisCluster();
  await seedLists(alice, 2);
  const replica = replicaOn(cluster, alice, replicaNode);
  await replica.ready({ timeoutMs: 10_000 });
  const writers = startWriters(cluster, alice, 4_000);
  await sleep(800);
  return { redis, cluster, alice, replica, writers };
}

describe("Redis faults", () => {
  it("answers 503 quickly while Redis is frozen (DEBUG SLEEP), then recovers with nothing lost", async () => {
    const { redis, cluster, alice, replica, writers } = await writingCluster(1);
    const freezer = new Redis(redis.url);
    freezer.on("error", () => {});
    cleanups.push(async () => freezer.disconnect());
    const frozen = freezer.call("DEBUG", "SLEEP", "2");
    await sleep(300);
    const duringFreeze = await readyz(cluster.nodes[0]!.url);
    await frozen;
    await writers.done;

    expect(duringFreeze.status).toBe(503);
    expect(duringFreeze.body.components).toMatchObject({
      redis: { status: "down" },
      postgres: { status: "ok" },
    });
    const failures = writers.logs.flatMap((log) => log.failures);
    expect(failures.length).toBeGreaterThan(0);
    // Every refusal was a 503 (never a 500 or a hang), answered well within the 2 s freeze.
    expect(failures.filter((f) => f.status !== 503 && f.status !== 409)).toEqual([]);
    expect(Math.max(...failures.map((f) => f.ms))).toBeLessThan(1_500);
    expect((await readyz(cluster.nodes[0]!.url)).status).toBe(200);
    for (const log of writers.logs) expect(log.acked.length).toBeGreaterThan(5);
    await expectNothingLost(alice, writers.logs);
    await converged(replica, alice);
  }, 40_000);

  it("survives a Redis crash and restart: 503 while down, resubscribes, resyncs, loses nothing acknowledged", async () => {
    const { redis, cluster, alice, replica, writers } = await writingCluster(0);
    await redis.kill();
    await sleep(300);
    const whileDown = await readyz(cluster.nodes[1]!.url);
    const refused = await alice.request("GET", "/api/dashboards/me/state");
    await sleep(700);
    await redis.start();
    await writers.done;

    expect(whileDown.status).toBe(503);
    expect(whileDown.body.components.redis).toMatchObject({ status: "down", error: expect.any(String) });
    // /readyz is unauthenticated: it names the failure, never the host.
    expect(whileDown.body.components.redis.error).not.toMatch(/127\.0\.0\.1|redis:\/\//);
    expect(refused).toMatchObject({ status: 503, body: { error: "unavailable" } });
    expect(refused.body.message).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|ioredis/);
    expect(
      writers.logs.flatMap((l) => l.failures).filter((f) => f.status !== 503 && f.status !== 409),
    ).toEqual([]);
    for (const node of cluster.nodes) {
      const deadline = Date.now() + 10_000;
      while ((await readyz(node.url)).status !== 200 && Date.now() < deadline) await sleep(100);
      expect((await readyz(node.url)).status).toBe(200);
    }
    const document = await expectNothingLost(alice, writers.logs);
    // The document in Redis is whole: its log holds consecutive revs up to the document's rev.
    const store = new RedisDashboardStore({
      redis: cluster.nodes[0]!.runtime.redis,
      prefix: cluster.prefix,
      stateTtlDays: 1,
    });
    const key = { workspaceId: alice.principal.workspaceId, dashboardId: `user:${alice.principal.id}` };
    expect((await store.changesSince(key, 0))?.map((e) => e.rev)).toEqual(
      Array.from({ length: document.rev }, (_, i) => i + 1),
    );
    await converged(replica, alice);
  }, 40_000);
});

describe("PostgreSQL faults", () => {
  async function proxiedCluster() {
    const proxy = new TcpBalancer([Number(new URL(DATABASE_URL).port || 5432)]);
    await proxy.listen();
    cleanups.push(() => proxy.close());
    const url = new URL(DATABASE_URL);
    url.port = String(proxy.port);
    const cluster = await startCluster({ nodes: 2, databaseUrl: url.toString(), timeouts: TIMEOUTS });
    cleanups.push(() => cluster.close());
    const agent = await cluster.caller({ kind: "agent", name: "deployer" });
    return { proxy, cluster, agent, alice: await cluster.caller({ name: "alice" }) };
  }

  for (const outage of ["refused", "silent"] as const) {
    it(`answers 503 quickly while PostgreSQL is ${outage === "refused" ? "unreachable" : "not answering"}, then recovers`, async () => {
      const { proxy, cluster, agent, alice } = await proxiedCluster();
      const approval = await cluster
        .on(agent, 0)
        .request("POST", "/api/approvals", { type: "deploy", title: "x" });
      expect(approval.status).toBe(201);

      if (outage === "refused") proxy.block();
      else proxy.blackhole();
      for (const node of [0, 1]) {
        const started = performance.now();
        const answers = await Promise.all([
          cluster.on(alice, node).request("GET", `/api/approvals/${approval.body.id}`),
          cluster.on(alice, node).request("GET", "/api/dashboards/me/state"),
          readyz(cluster.nodes[node]!.url),
        ]);
        // Bounded by the connect and statement timeouts, not by the outage.
        expect(performance.now() - started).toBeLessThan(4_000);
        expect(answers[0]).toMatchObject({ status: 503, body: { error: "unavailable" } });
        expect(answers[1]).toMatchObject({ status: 503, body: { error: "unavailable" } });
        expect(answers[2].status).toBe(503);
        expect(answers[2].body.components).toMatchObject({
          postgres: { status: "down" },
          redis: { status: "ok" },
        });
      }

      proxy.open();
      const deadline = Date.now() + 10_000;
      for (const node of [0, 1]) {
        while ((await readyz(cluster.nodes[node]!.url)).status !== 200 && Date.now() < deadline)
          await sleep(100);
        const again = await cluster
          .on(alice, node)
          .request("POST", `/api/approvals/${approval.body.id}/approve`);
        expect([200, 409]).toContain(again.status);
      }
      expect((await alice.request("GET", `/api/approvals/${approval.body.id}`)).body.status).toBe("approved");
    }, 40_000);
  }
});
