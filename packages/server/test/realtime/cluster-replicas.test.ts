import { createBoardClient, type SyncClient } from "@agentboard/client";
import type { JsonPatchOp } from "@agentboard/protocol";
import { type Caller, type Cluster, startCluster } from "@agentboard/test-support";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

let cluster: Cluster;
let agent: Caller;
beforeAll(async () => {
  cluster = await startCluster({ nodes: 2 });
  agent = await cluster.caller({ kind: "agent", name: "sync-bot" });
});
afterAll(async () => cluster?.close());

const WIDGETS = ["a", "b", "c"];

/** One random edit: a title, a theme, or an appended task (appends of one list overlap each other). */
const editArbitrary = fc.oneof(
  fc.record({ kind: fc.constant("title" as const), widget: fc.constantFrom(...WIDGETS), n: fc.nat(999) }),
  fc.record({ kind: fc.constant("theme" as const), theme: fc.constantFrom("light", "dark", "system") }),
  fc.record({ kind: fc.constant("task" as const), n: fc.nat(999) }),
);
type Edit = typeof editArbitrary extends fc.Arbitrary<infer T> ? T : never;

function opsOf(edit: Edit, tag: string): JsonPatchOp[] {
  switch (edit.kind) {
    case "title":
      return [{ op: "replace", path: `/widgets/${edit.widget}/title`, value: `${tag}-${edit.n}` }];
    case "theme":
      return [{ op: "add", path: "/preferences/theme", value: edit.theme }];
    case "task":
      return [
        {
          op: "add",
          path: "/widgets/tasks/props/tasks/-",
          value: { id: `${tag}-${edit.n}`, title: tag, status: "todo" },
        },
      ];
  }
}

describe("live replicas on both nodes (property)", () => {
  it("converge on the server's document after random concurrent edits, every edit applied or reported", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(3), editArbitrary, fc.nat(15)), { minLength: 5, maxLength: 30 }),
        async (steps) => {
          const dashboardId = `prop-${run++}`;
          const setup = createBoardClient({ url: cluster.nodes[0]!.url, token: agent.token });
          for (const id of WIDGETS) {
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
                  replicas[who]!.apply(opsOf(edit, `r${who}-${i}`));
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
            expect(document.rev - 1 - WIDGETS.length).toBe(outcomes.applied - outcomes.dropped);
          } finally {
            await Promise.all(replicas.map((r) => r.close()));
          }
        },
      ),
      { numRuns: 12 },
    );
  }, 120_000);
});
