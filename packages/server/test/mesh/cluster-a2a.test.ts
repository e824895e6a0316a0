import type { Client } from "@a2a-js/sdk/client";
import {
  type Caller,
  type Cluster,
  deployRequest,
  eventually,
  startCluster,
  startClusterNode,
} from "@agentboard/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { a2aClient, artifactData, dataMessage, getTask, send, stateOf } from "./a2a-helpers.js";

/** Every event of a stream, until it ends. */
async function drain<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const events: T[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const resubscribe = (client: Client, id: string) => drain(client.resubscribeTask({ tenant: "", id }));

/**
 * agentboard's A2A tasks on two nodes sharing Redis and PostgreSQL (issue 16 step 2): a task lives in the
 * `a2a_tasks` table, not in a node's memory, so any node reads, resubscribes to and cancels it, a decision
 * taken on one node finishes it for callers of the other, and it outlives every node.
 */
describe("A2A tasks across two nodes", () => {
  let cluster: Cluster;
  let agent: Caller;
  let human: Caller;

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 2 });
    agent = await cluster.caller({ kind: "agent", name: "a2a-cluster-asker" });
    human = await cluster.caller({ name: "a2a-cluster-human", node: 1 });
  });
  afterAll(async () => cluster?.close());

  const clientOn = (node: number) => a2aClient(cluster.nodes[node]!.url, agent.token);

  it("a task streamed through node A is read, resubscribed to and cancelled through node B", async () => {
    const [onA, onB] = [await clientOn(0), await clientOn(1)];
    const streamed = await drain(
      onA.sendMessageStream({
        tenant: "",
        message: dataMessage("request_approval", deployRequest()),
        configuration: undefined,
        metadata: undefined,
      }),
    );
    const first = streamed[0]?.payload;
    if (first?.$case !== "task") throw new Error(`expected a task first, got ${JSON.stringify(streamed)}`);
    const task = first.value;
    expect(stateOf(task)).toBe("TASK_STATE_WORKING");

    const read = await getTask(onB, task.id);
    expect(stateOf(read)).toBe("TASK_STATE_WORKING");
    expect(read.metadata?.approvalId).toBe(task.metadata?.approvalId);
    // Node B runs no execution of it: SubscribeToTask gives the stored task and ends (docs/a2a.md).
    const resubscribed = await resubscribe(onB, task.id);
    expect(resubscribed.map((event) => event.payload?.$case)).toEqual(["task"]);
    const current = resubscribed[0]?.payload;
    expect(current?.$case === "task" && current.value.id).toBe(task.id);

    const cancelled = await onB.cancelTask({ tenant: "", id: task.id, metadata: undefined });
    expect(stateOf(cancelled)).toBe("TASK_STATE_CANCELED");
    const approval = await cluster.on(human, 0).request("GET", `/api/approvals/${task.metadata?.approvalId}`);
    expect(approval.body).toMatchObject({ status: "cancelled", decidedBy: { id: agent.principal.id } });
    expect(stateOf(await getTask(onA, task.id))).toBe("TASK_STATE_CANCELED");
    await expect(resubscribe(onA, task.id)).rejects.toThrow(/terminal state/);
  });

  it("approving on node B completes the task a caller of node A reads", async () => {
    const onA = await clientOn(0);
    const task = await send(onA, "request_approval", deployRequest());
    const approvalId = task.metadata?.approvalId as string;
    const approved = await human.request("POST", `/api/approvals/${approvalId}/approve`, { reason: "on B" });
    expect(approved.status).toBe(200);
    const done = await eventually(
      () => getTask(onA, task.id),
      (t) => stateOf(t) !== "TASK_STATE_WORKING",
    );
    expect(stateOf(done)).toBe("TASK_STATE_COMPLETED");
    expect(artifactData(done, "decision")).toMatchObject({ approvalId, status: "approved", reason: "on B" });
  });

  it("a working task outlives both nodes: new nodes on the same PostgreSQL read it and finish it", async () => {
    const task = await send(await clientOn(0), "request_approval", deployRequest());
    const settings = { prefix: cluster.prefix, schema: cluster.schema };
    await Promise.all(cluster.nodes.map((node) => node.close()));
    // The harness closes and reads `cluster.nodes`: the new nodes take the old ones' places.
    cluster.nodes[0] = await startClusterNode(settings);
    cluster.nodes[1] = await startClusterNode(settings);

    const onB = await clientOn(1);
    expect(stateOf(await getTask(onB, task.id))).toBe("TASK_STATE_WORKING");
    const approved = await cluster
      .on(human, 0)
      .request("POST", `/api/approvals/${task.metadata?.approvalId}/approve`, {});
    expect(approved.status).toBe(200);
    const done = await eventually(
      () => getTask(onB, task.id),
      (t) => stateOf(t) !== "TASK_STATE_WORKING",
    );
    expect(stateOf(done)).toBe("TASK_STATE_COMPLETED");
  });
});
