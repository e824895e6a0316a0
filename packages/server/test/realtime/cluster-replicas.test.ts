import { createBoardClient, type SyncClient } from "@agentboard/client";
import {
  type Caller,
  type Cluster,
  EDITED_WIDGETS,
  opsOfEdit,
  randomEdit,
  startCluster,
} from "@agentboard/test-support";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let cluster: Cluster;
let agent: Caller;
beforeAll(async () => {
  cluster = await startCluster({ nodes: 2 });
  agent = await cluster.caller({ kind: "agent", name: "sync-bot" });
});
afterAll(async () => cluster?.close());

describe("live replicas on both nodes (property)", () => {
  it("converge on the server's document after random concurrent edits, every edit applied or reported", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(3), randomEdit(), fc.nat(15)), { minLength: 5, maxLength: 30 }),
        async (steps) => {
          const dashboardId = `prop-${run++}`;
          const setup = createBoardClient({ url: cluster.nodes[0]!.url, token: agent.token });
          for (const id of EDITED_WIDGETS) {
            await setup.dashboards.upsertWidget(dashboardId, id, {
              type: "note",
              title: id,
              props: { markdown: "" },
            });
          }
          await setup.dashboards.upsertWidget(dashboardId, "tasks", {
            type: "task_list",
            title: "t",
            props: { tasks: [] },
          });
          // Four replicas, two on each node.
          const replicas: SyncClient[] = [0, 1, 2, 3].map((i) =>
            createBoardClient({
              url: cluster.nodes[i % 2]!.url,
              token: agent.token,
              minReconnectDelayMs: 20,
              maxReconnectDelayMs: 200,
            }).sync(dashboardId),
          );
          const outcomes = { applied: 0, dropped: 0 };
          try {
            for (const replica of replicas) replica.on("conflict", () => outcomes.dropped++);
            await Promise.all(replicas.map((r) => r.ready({ timeoutMs: 10_000 })));
            await Promise.all(
              [0, 1, 2, 3].map(async (who) => {
                for (const [i, [replica, edit, pause]] of steps.entries()) {
                  if (replica !== who) continue;
                  await new Promise((resolve) => setTimeout(resolve, pause));
                  replicas[who]!.apply(opsOfEdit(edit, `r${who}-${i}`));
                  outcomes.applied++;
                }
              }),
            );
            await Promise.all(replicas.map((r) => r.flushed({ timeoutMs: 20_000 })));
            const document = await setup.dashboards.get(dashboardId);
            for (let attempt = 0; attempt < 200 && replicas.some((r) => r.rev !== document.rev); attempt++) {
              await new Promise((resolve) => setTimeout(resolve, 10));
            }
            for (const replica of replicas) {
              expect(replica.rev).toBe(document.rev);
              expect(replica.state).toEqual(document.state);
            }
            // Every edit either became one rev or was reported as dropped: none vanished, none doubled.
            expect(document.rev - 1 - EDITED_WIDGETS.length).toBe(outcomes.applied - outcomes.dropped);
          } finally {
            await Promise.all(replicas.map((r) => r.close()));
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 120_000);
});
