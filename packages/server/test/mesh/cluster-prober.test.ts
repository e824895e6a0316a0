import {
  type Caller,
  type Cluster,
  type ClusterNode,
  eventually,
  startCluster,
  testRedis,
} from "@agentboard/test-support";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RedisSweepLock } from "../../src/mesh/sweep-lock.js";
import { cardJson, type FixtureServer, listen } from "./a2a-fixtures.js";

/** Fixture agents that serve their card and count the requests each one got. */
async function countingAgents(): Promise<FixtureServer & { probes: Map<string, number> }> {
  const probes = new Map<string, number>();
  const fixture: FixtureServer = await listen((req, res) => {
    const name = /^\/([\w-]+)\//.exec(req.url ?? "")?.[1] ?? "?";
    probes.set(name, (probes.get(name) ?? 0) + 1);
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(cardJson(name, fixture.url)));
  });
  return { ...fixture, probes };
}

async function register(admin: Caller, fixture: FixtureServer, name: string): Promise<string> {
  const created = await admin.request("POST", "/api/agents", {
    cardUrl: `${fixture.url}/${name}/.well-known/agent-card.json`,
  });
  expect(created.status).toBe(201);
  return created.body.id;
}

/** Sweeps a node has run (its `agentboard_agent_sweep_duration_seconds` count). */
async function sweepsOf(node: ClusterNode): Promise<number> {
  const metric = await node.app.metricsRegistry
    .getSingleMetric("agentboard_agent_sweep_duration_seconds")
    ?.get();
  const values = (metric?.values ?? []) as { metricName?: string; value: number }[];
  return values.find((value) => value.metricName?.endsWith("_count"))?.value ?? 0;
}

const meshEnv = (intervalMs: number) => ({
  AGENTBOARD_AGENTS_ALLOW_PRIVATE_NETWORK: "true",
  AGENTBOARD_AGENT_PROBE_INTERVAL_MS: String(intervalMs),
  AGENTBOARD_AGENT_PROBE_TIMEOUT_MS: "2000",
});

/**
 * One health sweep per cluster, not one per node (issue 16 step 3): the nodes share the probe state in
 * PostgreSQL and a node sweeps only while it holds the Redis lease of the interval.
 */
describe("the prober on a two-node cluster", () => {
  describe("one sweep per interval", () => {
    const INTERVAL_MS = 3_600_000; // the schedule stays out of the way: the test sweeps by hand
    let cluster: Cluster;
    let fixture: Awaited<ReturnType<typeof countingAgents>>;
    let redis: Redis;
    let admin: Caller;

    beforeAll(async () => {
      cluster = await startCluster({ nodes: 2, env: meshEnv(INTERVAL_MS) });
      fixture = await countingAgents();
      redis = testRedis();
      admin = await cluster.caller({ name: "lease-admin", role: "admin" });
    });
    afterAll(async () => {
      redis?.disconnect();
      await cluster?.close();
      await fixture?.close();
    });

    it("both nodes sweeping the same interval probe each agent once; the state is shared", async () => {
      const names = ["one", "two", "three"];
      const ids: string[] = [];
      for (const name of names) ids.push(await register(admin, fixture, name));
      fixture.probes.clear(); // registration fetched each card once; count only probes from here
      const lease = `${cluster.prefix}agents:sweep`;

      for (let round = 1; round <= 4; round++) {
        // A new interval: the lease of the last one has run out (what its TTL does on a real schedule).
        await redis.del(lease);
        const results = await Promise.all(cluster.nodes.map((node) => node.app.agentProber.sweep()));
        expect(results.filter((result) => result.swept)).toEqual([
          expect.objectContaining({ swept: true, probed: names.length }),
        ]);
        expect(results.filter((result) => !result.swept)).toEqual([{ swept: false, probed: 0, ms: 0 }]);
        for (const name of names) expect(fixture.probes.get(name)).toBe(round);
        // The lease covers most of the interval and is not released when the sweep ends.
        const ttl = await redis.pttl(lease);
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(0.8 * INTERVAL_MS);
      }
      // Whichever node swept, both read the same state from PostgreSQL.
      for (const node of [0, 1]) {
        const listed = await cluster.on(admin, node).request("GET", "/api/agents");
        const remote = listed.body.items.filter((agent: { id: string }) => ids.includes(agent.id));
        expect(remote.map((agent: { status: string }) => agent.status)).toEqual([
          "healthy",
          "healthy",
          "healthy",
        ]);
      }
    });
  });

  describe("on its own schedule", () => {
    const INTERVAL_MS = 1_000; // the smallest allowed: the lease runs out 0.8 s after a sweep
    let cluster: Cluster;
    let fixture: Awaited<ReturnType<typeof countingAgents>>;

    let redis: Redis;

    beforeAll(async () => {
      cluster = await startCluster({ nodes: 2, env: meshEnv(INTERVAL_MS) });
      fixture = await countingAgents();
      redis = testRedis();
      const admin = await cluster.caller({ name: "takeover-admin", role: "admin" });
      await register(admin, fixture, "solo");
    });
    afterAll(async () => {
      redis?.disconnect();
      await cluster?.close();
      await fixture?.close();
    });

    it("when the node that holds the lease stops, the other one takes the sweeps over", async () => {
      const lease = `${cluster.prefix}agents:sweep`;
      const tokenOf = (node: ClusterNode) => (node.runtime.agentSweepLock as RedisSweepLock).token;
      await eventually(
        () => Promise.all(cluster.nodes.map(sweepsOf)),
        ([a, b]) => a! + b! >= 1,
        15_000,
      );
      // Stop the node that holds the lease, with most of it left to run, so it is still held when it stops.
      const holder = await eventually(
        async () => {
          const [value, ttl] = await Promise.all([redis.get(lease), redis.pttl(lease)]);
          return ttl >= 0.5 * 0.8 * INTERVAL_MS
            ? cluster.nodes.findIndex((node) => tokenOf(node) === value)
            : -1;
        },
        (index) => index >= 0,
        15_000,
      );
      const other = cluster.nodes[1 - holder]!;
      const stopped = cluster.nodes[holder]!.close();
      expect(await redis.get(lease)).toBe(tokenOf(cluster.nodes[holder]!));
      await stopped;

      const probesAtStop = fixture.probes.get("solo") ?? 0;
      const otherAtStop = await sweepsOf(other);
      await eventually(
        () => sweepsOf(other),
        (count) => count >= otherAtStop + 2,
        15_000,
      );
      expect(await redis.get(lease)).toBe(tokenOf(other));
      expect(fixture.probes.get("solo") ?? 0).toBeGreaterThanOrEqual(probesAtStop + 2);
    });
  });
});
