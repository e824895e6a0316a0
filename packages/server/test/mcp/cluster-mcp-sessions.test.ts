import { type AddressInfo, createServer } from "node:net";
import {
  type Caller,
  type Cluster,
  startCluster,
  startClusterNode,
  testRedis,
} from "@agentboard/test-support";
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
} from "@modelcontextprotocol/client";
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as TransportV1 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { noteWidget } from "./mcp-clients.js";

/**
 * 2025-era MCP sessions (the v1 SDK's, most clients in the wild) behind a load balancer that does not stick:
 * each request of one session may land on any node. The node that opened the session holds it; the others
 * forward its requests there (mcp-sessions.ts, session-forwarding.ts). The client here sends each request to
 * the node `route` picks, as a round-robin balancer would.
 */
/**
 * A fetch for an SDK client's transport that sends each request to the node `route` picks (the initialize to
 * nodes[0]), as a balancer without affinity would, and notes where each went in `landed`.
 */
function routedFetch(
  nodes: readonly string[],
  route: (request: { method: string; body: string }) => number,
  landed: number[],
) {
  return (url: string | URL, init?: RequestInit): Promise<Response> => {
    const body = typeof init?.body === "string" ? init.body : "";
    const node = body.includes('"method":"initialize"') ? 0 : route({ method: init?.method ?? "GET", body });
    landed.push(node);
    const target = new URL(String(url));
    return fetch(new URL(target.pathname + target.search, nodes[node]), init);
  };
}

describe("MCP sessions across two nodes", () => {
  let cluster: Cluster;
  let alice: Caller;

  beforeAll(async () => {
    cluster = await startCluster({ nodes: 2, env: { AGENTBOARD_METRICS_PUBLIC: "true" } });
    alice = await cluster.caller({ name: "mcp-cluster-alice", role: "member" });
  }, 60_000);
  afterAll(async () => {
    await cluster?.close();
  });

  /** A v1 SDK client whose requests go to the node `route` names (the initialize to nodes[0]). */
  async function connect(
    caller: Caller,
    route: (request: { method: string; body: string }) => number,
    nodes = cluster.nodes.map((node) => node.url),
  ) {
    const landed: number[] = [];
    const client = new ClientV1({ name: "cluster-v1", version: "1.0.0" });
    const transport = new TransportV1(new URL(`${nodes[0]}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${caller.token}` } },
      fetch: routedFetch(nodes, route, landed),
    });
    await client.connect(transport);
    return { client, transport, landed };
  }

  it("serves every request of a session opened on node A through node B, and alternating nodes", async () => {
    let next = 0;
    const { client, transport, landed } = await connect(alice, () => next++ % 2);
    expect(transport.sessionId).toBeTruthy();
    const tools = await client.listTools();
    expect(tools.tools.map((tool) => tool.name)).toContain("render_widget");
    for (let i = 0; i < 4; i++) {
      const result = await client.callTool({
        name: "render_widget",
        arguments: { widget: noteWidget(`cluster-note-${i}`, `written through the cluster ${i}`) },
      });
      expect(result.isError).toBeFalsy();
    }
    const read = await client.callTool({ name: "read_dashboard", arguments: {} });
    const widgets = (read.structuredContent as { state: { widgets: Record<string, unknown> } }).state.widgets;
    expect(Object.keys(widgets)).toEqual(
      expect.arrayContaining([0, 1, 2, 3].map((i) => `cluster-note-${i}`)),
    );
    // Requests really landed on both nodes, and the session is held by node A only.
    expect(new Set(landed)).toEqual(new Set([0, 1]));
    expect(await sessionCounts()).toEqual([1, 0]);
    await transport.terminateSession();
    await client.close();
  });

  it("serves the v2 SDK client's 2025 session the same way", async () => {
    const nodes = cluster.nodes.map((node) => node.url);
    let next = 0;
    const landed: number[] = [];
    const client = new ClientV2({ name: "cluster-v2", version: "1.0.0" });
    const transport = new TransportV2(new URL(`${nodes[0]}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${alice.token}` } },
      fetch: routedFetch(nodes, () => next++ % 2, landed),
    });
    await client.connect(transport);
    try {
      expect(transport.sessionId).toBeTruthy();
      for (let i = 0; i < 3; i++) {
        const result = await client.callTool({
          name: "render_widget",
          arguments: { widget: noteWidget(`cluster-v2-${i}`, `v2 through the cluster ${i}`) },
        });
        expect(result.isError).toBeFalsy();
      }
      expect(new Set(landed)).toEqual(new Set([0, 1]));
      await transport.terminateSession();
    } finally {
      await client.close();
    }
  });

  it("delivers resource updates on a notification stream held through node B", async () => {
    const { client, transport } = await connect(alice, () => 1);
    const uri = "agentboard://dashboards/me";
    const updated: string[] = [];
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (notification) => {
      updated.push(notification.params.uri);
    });
    await client.subscribeResource({ uri });
    // The GET stream opens after initialize; give it a chance to report, made on node A over REST.
    await expect
      .poll(
        async () => {
          await cluster
            .on(alice, 0)
            .request("PUT", "/api/dashboards/me/widgets/cluster-live", noteWidget("cluster-live", "live"));
          return updated.length;
        },
        { timeout: 10_000, interval: 250 },
      )
      .toBeGreaterThan(0);
    expect(updated[0]).toBe(uri);
    await transport.terminateSession();
    await client.close();
  });

  it("ends a request_approval wait cancelled through node B and leaves the approval pending", async () => {
    const agent = await cluster.caller({ kind: "agent", name: "mcp-cluster-agent" });
    expect(cluster.nodes.map((node) => node.runtime.approvals.waiters.size)).toEqual([0, 0]);
    const { client, transport } = await connect(agent, () => 1);
    const abort = new AbortController();
    const waiting = client.callTool(
      {
        name: "request_approval",
        arguments: { type: "deploy", title: "Deploy through the cluster" },
      },
      undefined,
      { signal: abort.signal, timeout: 60_000 },
    );
    const owner = await cluster.caller({ name: "mcp-cluster-owner", role: "owner" });
    // The wait runs on node A, which holds the session: a waiter registers there, none on node B.
    const waiters = () => cluster.nodes.map((node) => node.runtime.approvals.waiters.size);
    await expect.poll(waiters, { timeout: 10_000, interval: 50 }).toEqual([1, 0]);
    abort.abort("not needed any more");
    await expect(waiting).rejects.toThrow();
    // notifications/cancelled went to node B, which forwarded it: node A's wait ended.
    await expect.poll(waiters, { timeout: 10_000, interval: 50 }).toEqual([0, 0]);
    const list = await cluster.on(owner, 1).request("GET", "/api/approvals?status=pending");
    expect(
      (list.body.items as { title: string }[]).some((item) => item.title === "Deploy through the cluster"),
    ).toBe(true);
    // The session is still usable after the cancelled call.
    const again = await client.callTool({
      name: "read_dashboard",
      arguments: { dashboardId: `user:${alice.principal.id}` },
    });
    expect(again.isError).toBeFalsy();
    await transport.terminateSession();
    await client.close();
  });

  it("answers another principal's session id with 404 on every node", async () => {
    const { client, transport } = await connect(alice, () => 0);
    const bob = await cluster.caller({ name: "mcp-cluster-bob", role: "member" });
    for (const node of cluster.nodes) {
      const response = await fetch(`${node.url}/mcp`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${bob.token}`,
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "mcp-session-id": String(transport.sessionId),
          "mcp-protocol-version": "2025-06-18",
        },
        body: JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/list" }),
      });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: -32001, message: "Session not found" } });
    }
    await transport.terminateSession();
    await client.close();
  });

  it("ends a session on node A when node B is told to delete it", async () => {
    const { client, transport } = await connect(alice, () => 1);
    expect(await sessionCounts()).toEqual([1, 0]);
    await transport.terminateSession();
    expect(await sessionCounts()).toEqual([0, 0]);
    await client.close();
  });

  it("answers 404 when the node holding the session has stopped or crashed; the client opens a new session", async () => {
    const nodeC = await startClusterNode({
      prefix: cluster.prefix,
      schema: cluster.schema,
      env: { AGENTBOARD_METRICS_PUBLIC: "true" },
    });
    const urls = [nodeC.url, cluster.nodes[1]!.url];
    let stopped = false;
    const { client, transport } = await connect(alice, () => 1, urls);
    const sessionId = String(transport.sessionId);
    const redis = testRedis();
    try {
      const key = `${cluster.prefix}mcp:session:${sessionId}`;
      const record = String(await redis.get(key));
      expect(JSON.parse(record)).toMatchObject({ node: nodeC.url });
      expect((await client.listTools()).tools.length).toBeGreaterThan(0);
      await nodeC.close();
      stopped = true;
      // A node that shuts down ends its sessions and removes their records.
      expect(await redis.get(key)).toBeNull();
      // A node that crashed leaves them: node B cannot reach the owner, so the session is gone (404, as the
      // spec says), and so is its record.
      await redis.set(key, record, "PX", 60_000);
      await expect(client.listTools()).rejects.toThrow(/404|Session not found/);
      expect(await redis.get(key)).toBeNull();
      // The client starts over on a node that runs.
      const again = await connect(alice, () => 1, [cluster.nodes[1]!.url, cluster.nodes[0]!.url]);
      expect((await again.client.listTools()).tools.length).toBeGreaterThan(0);
      await again.transport.terminateSession();
      await again.client.close();
    } finally {
      redis.disconnect();
      await client.close();
      if (!stopped) await nodeC.close();
    }
  });

  it("keeps a session's record when its node fails to answer, and drops one its node does not know", async () => {
    const { client, transport } = await connect(alice, () => 0);
    const redis = testRedis();
    // A peer that takes the connection and drops it at once: a live owner's passing fault, not a gone one.
    const flaky = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => flaky.listen(0, "127.0.0.1", resolve));
    const flakyPort = (flaky.address() as AddressInfo).port;
    try {
      const record = JSON.parse(
        String(await redis.get(`${cluster.prefix}mcp:session:${transport.sessionId}`)),
      );
      const ask = (sessionId: string) =>
        fetch(`${cluster.nodes[1]!.url}/mcp`, {
          method: "POST",
          headers: {
            authorization: `Bearer ${alice.token}`,
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            "mcp-session-id": sessionId,
            "mcp-protocol-version": "2025-06-18",
          },
          body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
        });

      const flakyKey = `${cluster.prefix}mcp:session:flaky-session`;
      await redis.set(
        flakyKey,
        JSON.stringify({ ...record, node: `http://127.0.0.1:${flakyPort}` }),
        "PX",
        60_000,
      );
      const failed = await ask("flaky-session");
      expect(failed.status).toBe(502);
      expect(await failed.json()).toMatchObject({ error: { message: expect.stringContaining("try again") } });
      expect(await redis.get(flakyKey)).not.toBeNull();

      // Recorded at node A, which has no such session (a restart at the same address): 404, record dropped.
      const staleKey = `${cluster.prefix}mcp:session:stale-session`;
      await redis.set(staleKey, JSON.stringify({ ...record, node: cluster.nodes[0]!.url }), "PX", 60_000);
      expect((await ask("stale-session")).status).toBe(404);
      await expect.poll(() => redis.get(staleKey)).toBeNull();
    } finally {
      flaky.close();
      redis.disconnect();
      await transport.terminateSession();
      await client.close();
    }
  });

  it("a node that shuts down ends the streams it forwards instead of waiting for them", async () => {
    const nodeD = await startClusterNode({ prefix: cluster.prefix, schema: cluster.schema });
    let route = 1;
    const { client, transport } = await connect(alice, () => route, [cluster.nodes[0]!.url, nodeD.url]);
    let closed = false;
    try {
      const updated: string[] = [];
      client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
        updated.push(n.params.uri);
      });
      await client.subscribeResource({ uri: "agentboard://dashboards/me" });
      // A notification arrives: the notification stream is open through node D.
      await expect
        .poll(
          async () => {
            await cluster
              .on(alice, 0)
              .request(
                "PUT",
                "/api/dashboards/me/widgets/cluster-shutdown",
                noteWidget("cluster-shutdown", "x"),
              );
            return updated.length;
          },
          { timeout: 10_000, interval: 250 },
        )
        .toBeGreaterThan(0);
      // Shutdown cuts what is still open after a grace period (app.ts); the forwarded stream must have ended
      // before that, so the cut never runs.
      let cut = false;
      const server = nodeD.app.server;
      const closeAll = server.closeAllConnections.bind(server);
      server.closeAllConnections = () => {
        cut = true;
        closeAll();
      };
      await nodeD.close();
      closed = true;
      expect(cut).toBe(false);
      // The session itself lives on node A and goes on there.
      route = 0;
      expect((await client.listTools()).tools.length).toBeGreaterThan(0);
      await transport.terminateSession();
    } finally {
      await client.close();
      if (!closed) await nodeD.close();
    }
  }, 20_000);

  /** Open 2025-era sessions per node, from each node's /metrics. */
  async function sessionCounts(): Promise<number[]> {
    return Promise.all(
      cluster.nodes.map(async (node) => {
        const metrics = await node.app.inject({ method: "GET", url: "/metrics" });
        const line = metrics.body.split("\n").find((l) => l.startsWith("agentboard_mcp_sessions "));
        return Number(line?.split(" ")[1]);
      }),
    );
  }
});
