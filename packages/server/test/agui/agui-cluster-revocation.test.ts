import { type Cluster, startCluster } from "@agentboard/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ofType, openAgui, runInput } from "./agui-helpers.js";

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster({ nodes: 2 });
});
afterAll(async () => cluster?.close());

describe("AG-UI in cluster mode: taking rights away on another node", () => {
  it("a token revoked on node B ends its run on node A with RUN_ERROR unauthorized", async () => {
    const carol = await cluster.caller({ name: "carol" });
    const stream = await openAgui(cluster.nodes[0]!.url, "me", runInput(), {
      authorization: `Bearer ${carol.token}`,
    });
    await stream.next(ofType("STATE_SNAPSHOT"));
    const onB = cluster.on(carol, 1);
    const listed = await onB.request("GET", "/api/tokens");
    const own = listed.body.items.find((item: { tokenKind: string }) => item.tokenKind === "api");
    const revoked = await onB.request("DELETE", `/api/tokens/${own.id}`);
    expect(revoked.status).toBeLessThan(300);
    expect(await stream.next(ofType("RUN_ERROR"))).toMatchObject({ code: "unauthorized" });
    await stream.ended;
    expect(cluster.nodes[0]!.app.aguiRuns.size).toBe(0);
  });

  it("a member made viewer on node B loses the run on node A, which could raise interrupts a viewer may not answer", async () => {
    const owner = await cluster.caller({ name: "olga", role: "owner" });
    const dave = await cluster.caller({ name: "dave" });
    const stream = await openAgui(cluster.nodes[0]!.url, "me", runInput(), {
      authorization: `Bearer ${dave.token}`,
    });
    await stream.next(ofType("STATE_SNAPSHOT"));
    const demoted = await cluster
      .on(owner, 1)
      .request("PATCH", `/api/members/${dave.principal.id}`, { role: "viewer" });
    expect(demoted.status).toBe(200);
    expect(await stream.next(ofType("RUN_ERROR"))).toMatchObject({ code: "unauthorized" });
    await stream.ended;
  });
});
