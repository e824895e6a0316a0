import { createBoardClient, type SyncClient } from "@agentboard/client";
import { validateDashboardState } from "@agentboard/protocol";
import {
  databaseUrlFor,
  deletePrefix,
  freshPostgres,
  REDIS_URL,
  randomPrefix,
  TcpBalancer,
  testRedis,
} from "@agentboard/test-support";
import { afterEach, describe, expect, it } from "vitest";
import { IdentityStore } from "../packages/server/src/auth/identity-store.js";
import { type CliServer, cleanupCli, http, makeTempDir, startCliServer } from "./helpers/cli.js";

/**
 * Two real `agentboard start` processes in cluster mode (same Redis prefix, same PostgreSQL schema) behind a
 * round-robin TCP balancer, as a deployment would run them. One is killed with SIGKILL in the middle of a
 * write storm: every write it acknowledged must be in Redis, and clients must carry on through the other.
 */
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  await cleanupCli();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function clusterFixture() {
  const postgres = await freshPostgres();
  const prefix = randomPrefix();
  const redis = testRedis();
  cleanups.push(async () => {
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await postgres.drop();
  });
  const env = {
    AGENTBOARD_REDIS_URL: REDIS_URL,
    AGENTBOARD_DATABASE_URL: databaseUrlFor(postgres.schema),
    AGENTBOARD_REDIS_PREFIX: prefix,
  };
  const nodes = await Promise.all([
    startCliServer({ dataDir: makeTempDir(), env }),
    startCliServer({ dataDir: makeTempDir(), env }),
  ]);
  const balancer = new TcpBalancer(nodes.map((node) => node.port));
  const url = await balancer.listen();
  cleanups.push(() => balancer.close());
  // Tokens are rows in PostgreSQL, shared by every node.
  const identity = new IdentityStore(postgres.db);
  const workspace = await identity.ensureWorkspace("default");
  const agent = await identity.ensurePrincipal({
    workspace,
    kind: "agent",
    name: "ops-bot",
    scopes: ["dashboards:write"],
  });
  const { secret: token } = await identity.issueSecret(agent, "api");
  return { nodes, url, token, env };
}

interface Writer {
  acked: string[];
  errors: number;
}

/** Appends task `w<k>-<i>` to list `k` through the balancer, retrying each with the same mutation id. */
function restWriter(
  url: string,
  token: string,
  k: number,
  stopAt: () => boolean,
): { log: Writer; done: Promise<void> } {
  const log: Writer = { acked: [], errors: 0 };
  const done = (async () => {
    let baseRev = 0;
    for (let i = 0; !stopAt(); i++) {
      const id = `w${k}-${i}`;
      for (let attempt = 0; ; attempt++) {
        const result = await http(`${url}/api/dashboards/ops/state`, {
          method: "PATCH",
          headers: { authorization: `Bearer ${token}` },
          body: {
            baseRev,
            ops: [
              {
                op: "add",
                path: `/widgets/list-${k}/props/tasks/-`,
                value: { id, title: id, status: "todo" },
              },
            ],
            clientId: `rest-${k}`,
            mutationId: id,
          },
        }).catch(() => ({ status: 0, body: undefined }) as const);
        if (result.status === 200) {
          log.acked.push(id);
          baseRev = result.body.rev;
          break;
        }
        log.errors++;
        if (result.status === 409) baseRev = result.body.details.rev;
        else await sleep(25);
        if (attempt > 400) throw new Error(`writer ${k}: ${id} never went through (last ${result.status})`);
      }
    }
  })();
  return { log, done };
}

describe("cluster failover", () => {
  it("kill -9 of a node during a write storm: every acknowledged write is kept, clients fail over and converge", async () => {
    const { nodes, url, token } = await clusterFixture();
    const board = createBoardClient({ url, token, minReconnectDelayMs: 50, maxReconnectDelayMs: 300 });
    for (let k = 0; k < 4; k++) {
      await board.dashboards.upsertWidget("ops", `list-${k}`, {
        type: "task_list",
        title: `list ${k}`,
        props: { tasks: [] },
      });
    }
    for (let k = 0; k < 4; k++) {
      await board.dashboards.upsertWidget("ops", `live-${k}`, {
        type: "task_list",
        title: `live ${k}`,
        props: { tasks: [] },
      });
    }

    // Live replicas through the balancer: their sockets land on both nodes (replicas of one dashboard on
    // one board client get a socket each).
    const replicas: SyncClient[] = Array.from({ length: 4 }, () => board.sync("ops"));
    const dropped: string[] = [];
    const reconnected = new Set<SyncClient>();
    for (const replica of replicas) {
      replica.on("error", () => {});
      replica.on("status", (status) => status === "reconnecting" && reconnected.add(replica));
      replica.on("conflict", (conflict) => dropped.push(JSON.stringify(conflict).slice(0, 300)));
      cleanups.push(() => replica.close());
    }
    await Promise.all(replicas.map((r) => r.ready({ timeoutMs: 15_000 })));

    let stop = false;
    const writers = [0, 1, 2, 3].map((k) => restWriter(url, token, k, () => stop));
    // Each replica appends to a list of its own: no two edits overlap, so none may be refused.
    const appliedByReplicas: string[][] = replicas.map(() => []);
    const replicaWrites = (async () => {
      for (let i = 0; !stop; i++) {
        const k = i % replicas.length;
        const id = `r${i}`;
        replicas[k]!.apply([
          { op: "add", path: `/widgets/live-${k}/props/tasks/-`, value: { id, title: id, status: "todo" } },
        ]);
        appliedByReplicas[k]!.push(id);
        await sleep(20);
      }
    })();

    await sleep(1_500);
    const victim = nodes[0] as CliServer;
    await victim.stop("SIGKILL");
    const ackedBeforeKill = writers.reduce((n, w) => n + w.log.acked.length, 0);
    await sleep(2_000);
    stop = true;
    await Promise.all([...writers.map((w) => w.done), replicaWrites]);
    await Promise.all(replicas.map((r) => r.flushed({ timeoutMs: 30_000 })));

    const survivor = nodes[1]!;
    const document = (
      await http(`${survivor.url}/api/dashboards/ops/state`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).body;
    expect(() => validateDashboardState(document.state)).not.toThrow();
    expect(ackedBeforeKill).toBeGreaterThan(20);
    // Every acknowledged REST write is there exactly once, in the order it was acknowledged.
    writers.forEach((writer, k) => {
      const ids = document.state.widgets[`list-${k}`].props.tasks.map((t: { id: string }) => t.id);
      expect(ids).toEqual(writer.log.acked);
    });
    // Every replica edit landed exactly once and in its replica's order, across the failover.
    expect(dropped).toEqual([]);
    appliedByReplicas.forEach((applied, k) => {
      const ids = document.state.widgets[`live-${k}`].props.tasks.map((t: { id: string }) => t.id);
      expect(ids).toEqual(applied);
    });
    // Replicas on the dead node reconnected to the survivor and converged on the server's document.
    for (let attempt = 0; attempt < 100 && replicas.some((r) => r.rev !== document.rev); attempt++)
      await sleep(50);
    for (const replica of replicas) {
      expect(replica.rev).toBe(document.rev);
      expect(replica.state).toEqual(document.state);
      expect(replica.status).toBe("connected");
    }
    // At least one replica was on the killed node and had to move.
    expect(reconnected.size).toBeGreaterThan(0);
    // The survivor is ready; the dead node's absence does not make it unready.
    expect((await http(`${survivor.url}/readyz`)).status).toBe(200);
  }, 90_000);

  it("starts both nodes on one schema at once and serves the same data from either", async () => {
    const { nodes, token } = await clusterFixture();
    const headers = { authorization: `Bearer ${token}` };
    const put = await http(`${nodes[0]!.url}/api/dashboards/ops/widgets/n`, {
      method: "PUT",
      headers,
      body: { type: "note", title: "N", props: { markdown: "from node 0" } },
    });
    expect(put.status).toBe(200);
    const read = await http(`${nodes[1]!.url}/api/dashboards/ops/state`, { headers });
    expect(read.body.state.widgets.n.props.markdown).toBe("from node 0");
    const ready = await http(`${nodes[1]!.url}/readyz`);
    expect(ready.body).toMatchObject({
      status: "ok",
      components: { redis: { status: "ok" }, postgres: { status: "ok" } },
    });
    // The start banner's login URL works on any node (login codes are PostgreSQL rows).
    expect(nodes.every((n) => n.loginUrl.includes("?login="))).toBe(true);
  }, 60_000);
});
