import type { RunFinishedEvent, StateDeltaEvent, StateSnapshotEvent } from "@ag-ui/core";
import { type Cluster, startCluster } from "@agentboard/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ofType, openAgui, runInput } from "./agui-helpers.js";

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster({ nodes: 2 });
});
afterAll(async () => cluster?.close());

describe("AG-UI in cluster mode", () => {
  it("a change made on node B reaches the stream on node A; an approval made on B interrupts it", async () => {
    const alice = await cluster.caller({ name: "alice" });
    const bot = await cluster.caller({ kind: "agent", name: "bot" });
    const onB = { alice: cluster.on(alice, 1), bot: cluster.on(bot, 1) };
    await onB.bot.request("PUT", "/api/dashboards/shared/widgets/w", {
      type: "note",
      title: "N",
      props: { markdown: "first" },
    });
    const stream = await openAgui(cluster.nodes[0]!.url, "shared", runInput(), {
      authorization: `Bearer ${alice.token}`,
    });
    const snapshot = (await stream.next(ofType("STATE_SNAPSHOT"))) as StateSnapshotEvent;
    const rev = (snapshot.snapshot as { rev: number }).rev;

    const patched = await onB.alice.request("PATCH", "/api/dashboards/shared/state", {
      baseRev: rev,
      ops: [{ op: "replace", path: "/widgets/w/props/markdown", value: "from node B" }],
    });
    expect(patched.status).toBe(200);
    const delta = (await stream.next(ofType("STATE_DELTA"))) as StateDeltaEvent;
    expect(delta.delta).toContainEqual({
      op: "replace",
      path: "/widgets/w/props/markdown",
      value: "from node B",
    });
    expect(delta.delta.at(-1)).toEqual({ op: "replace", path: "/rev", value: rev + 1 });

    const approval = await onB.bot.request("POST", "/api/approvals", {
      type: "deploy",
      title: "From B",
      action: { tool: "deploy" },
    });
    const finished = (await stream.next(ofType("RUN_FINISHED"))) as RunFinishedEvent;
    expect(finished.outcome).toMatchObject({ type: "interrupt", interrupts: [{ id: approval.body.id }] });
    expect(stream.invalid).toEqual([]);
  });
});
