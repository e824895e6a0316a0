/**
 * Cross-node approval wake-up: how soon an agent waiting on one cluster node resumes after a human's
 * decision is committed on another node (through Redis pub/sub), next to the same wait on the deciding node
 * and on one embedded node, in the same run. Goal: p99 under 25 ms across nodes.
 *
 *   npm run bench:cluster-wake      (= npx tsx bench/cluster-approval-wake.bench.ts, about 60 s)
 *
 * Everything runs in this process: two cluster nodes (fresh Redis prefix + PostgreSQL schema), one embedded
 * server, and the waiters, so the numbers include both nodes and 500 clients sharing one event loop (a
 * deployment gives each node its own). Per mode: 500 fresh pending approvals, one waiter each, then all
 * approved through `ApprovalService.approve` on the deciding node at uniformly random times within 2 s.
 * Latency runs from the commit (the deciding node's post-commit event) to the moment the waiter holds the
 * decided approval. Modes: the waiter registry (`ApprovalService.wait`, no HTTP) and the HTTP long-poll
 * (`GET /api/approvals/:id/wait`) that the SDK's `wait()` uses. A warm-up, then 3 rounds; medians of
 * per-round values.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startCluster } from "@agentboard/test-support";
import type { Approval } from "../packages/protocol/src/index.js";
import type { ApprovalService } from "../packages/server/src/approvals/approval-service.js";
import type { IdentityStore } from "../packages/server/src/auth/identity-store.js";
import type { Principal } from "../packages/server/src/auth/principal.js";
import { loadConfig } from "../packages/server/src/config.js";
import { createLogger } from "../packages/server/src/observability/logger.js";
import { startServer } from "../packages/server/src/runtime/start-server.js";
import { fmt, machineLine, median, percentile } from "./lib/cluster-bench.js";

const WAITERS = 500;
const DECIDE_MS = 2_000;
const ROUNDS = 3;
const GOAL_P99_MS = 25;

interface Side {
  url: string;
  identity: IdentityStore;
  approvals: ApprovalService;
}

interface Mode {
  name: string;
  waitOn: Side;
  decideOn: Side;
  http: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function principals(identity: IdentityStore) {
  const workspace = await identity.ensureWorkspace("default");
  const agent = await identity.ensurePrincipal({
    workspace,
    kind: "agent",
    name: "bench-agent",
    scopes: ["approvals:request"],
  });
  const human: Principal = await identity.ensurePrincipal({ workspace, kind: "user", name: "bench-human" });
  const { secret } = await identity.issueSecret(agent, "api");
  return { agent, human, token: secret };
}

async function main() {
  const started = performance.now();
  const env = { AGENTBOARD_RATE_LIMIT_PER_MINUTE: "1000000" };
  const cluster = await startCluster({ nodes: 2, env });
  const dataDir = mkdtempSync(join(tmpdir(), "agentboard-bench-wake-"));
  const embedded = await startServer(
    loadConfig({ env: { AGENTBOARD_LOG_LEVEL: "silent", ...env }, flags: { port: 0, dataDir } }),
    createLogger("silent"),
  );
  try {
    const [one, two] = cluster.nodes.map((node) => ({
      url: node.url,
      identity: node.runtime.identity,
      approvals: node.runtime.approvals as ApprovalService,
    })) as [Side, Side];
    const single: Side = {
      url: embedded.url,
      identity: embedded.runtime.identity,
      approvals: embedded.runtime.approvals,
    };
    const clusterPeople = await principals(one.identity);
    const embeddedPeople = await principals(single.identity);
    const people = (side: Side) => (side === single ? embeddedPeople : clusterPeople);

    const commits = new Map<string, number>();
    for (const side of [one, two, single]) {
      // Each node hears every node's events: the first to hear a decision is the node that committed it.
      side.approvals.onEvent(({ event, approval }) => {
        if (event === "decided" && !commits.has(approval.id)) commits.set(approval.id, performance.now());
      });
    }

    const runMode = async (mode: Mode, count: number) => {
      const { agent, human, token } = people(mode.waitOn);
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const { approval } = await mode.waitOn.approvals.create(agent, {
          type: "bench",
          title: `wake ${i}`,
          confidence: 10,
        });
        ids.push(approval.id);
      }
      const resumed = new Map<string, number>();
      const waits = ids.map(async (id) => {
        let approval: Approval;
        if (mode.http) {
          const response = await fetch(`${mode.waitOn.url}/api/approvals/${id}/wait?timeoutMs=60000`, {
            headers: { authorization: `Bearer ${token}` },
          });
          approval = (await response.json()) as Approval;
        } else approval = await mode.waitOn.approvals.wait(agent, id, { timeoutMs: 60_000 });
        resumed.set(id, performance.now());
        if (approval.status !== "approved")
          throw new Error(`${mode.name}: ${id} resumed as ${approval.status}`);
      });
      while (mode.waitOn.approvals.waiters.size < count) await sleep(10);
      await Promise.all(
        ids.map(async (id) => {
          await sleep(Math.random() * DECIDE_MS);
          await mode.decideOn.approvals.approve(human, id);
        }),
      );
      await Promise.all(waits);
      const latencies = ids.map((id) => resumed.get(id)! - commits.get(id)!);
      if (latencies.some((ms) => !Number.isFinite(ms)))
        throw new Error(`${mode.name}: a wake-up was not measured`);
      return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) };
    };

    const modes: Mode[] = [
      { name: "embedded: waiter registry", waitOn: single, decideOn: single, http: false },
      { name: "embedded: HTTP long-poll", waitOn: single, decideOn: single, http: true },
      { name: "cluster, same node: waiter registry", waitOn: one, decideOn: one, http: false },
      { name: "cluster, across nodes: waiter registry", waitOn: one, decideOn: two, http: false },
      { name: "cluster, same node: HTTP long-poll", waitOn: one, decideOn: one, http: true },
      { name: "cluster, across nodes: HTTP long-poll", waitOn: one, decideOn: two, http: true },
    ];
    for (const mode of modes) await runMode(mode, 100);

    const samples = new Map<string, Array<{ p50: number; p99: number; max: number }>>(
      modes.map((m) => [m.name, []]),
    );
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < modes.length; k++) {
        const mode = modes[(k + round) % modes.length]!;
        const sample = await runMode(mode, WAITERS);
        samples.get(mode.name)!.push(sample);
        console.error(
          `round ${round + 1} ${mode.name}: p50 ${fmt(sample.p50)} ms, p99 ${fmt(sample.p99)} ms`,
        );
      }
    }
    console.log(
      `\n${WAITERS} concurrent waits per mode, decisions over ${DECIDE_MS / 1000} s, ${ROUNDS} rounds (medians)\n`,
    );
    console.log(`| mode | p50 ms | p99 ms | max ms | p99 under ${GOAL_P99_MS} ms |`);
    console.log("| --- | ---: | ---: | ---: | :---: |");
    for (const [name, runs] of samples) {
      const p99 = median(runs.map((r) => r.p99));
      console.log(
        `| ${name} | ${fmt(median(runs.map((r) => r.p50)))} | ${fmt(p99)} | ${fmt(median(runs.map((r) => r.max)))} | ${p99 < GOAL_P99_MS ? "yes" : "no"} |`,
      );
    }
    console.log(`\n${machineLine(performance.now() - started)}`);
  } finally {
    await embedded.close();
    rmSync(dataDir, { recursive: true, force: true });
    await cluster.close();
  }
}

await main();
