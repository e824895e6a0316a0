/**
 * Revocation across nodes: a sign-out on one node closes the session's socket on the other within 1 s. The
 * revocation suite itself runs in both modes (revocation.test.ts).
 */
import { CLOSE_CODES } from "@agentboard/protocol";
import { type Cluster, openSocket, requestAs, startCluster, WsClient } from "@agentboard/test-support";
import { afterEach, describe, expect, it } from "vitest";

const TRUSTED_ORIGIN = "http://board.example.test:8080";

describe("across nodes", () => {
  let cluster: Cluster | undefined;
  const clients: WsClient[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await cluster?.close();
    cluster = undefined;
  });

  it("a sign-out on node A closes the session's socket on node B with 4401 within 1 s and voids its tickets there", async () => {
    cluster = await startCluster({ nodes: 2, env: { AGENTBOARD_ALLOWED_ORIGINS: TRUSTED_ORIGIN } });
    const [a, b] = cluster.nodes as [Cluster["nodes"][0], Cluster["nodes"][0]];
    const alice = await cluster.caller({ name: "alice", role: "owner" });

    const signIn = await fetch(`${a.url}/api/auth/session`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: alice.token }),
    });
    expect(signIn.status).toBe(200);
    const session = /^agentboard_session=([^;]+)/.exec(
      signIn.headers.getSetCookie().find((c) => c.startsWith("agentboard_session=")) ?? "",
    )![1]!;
    const headers = { cookie: `agentboard_session=${session}`, origin: TRUSTED_ORIGIN };
    const ticket = async (node: typeof a) => {
      const response = await fetch(`${node.url}/api/realtime/ticket`, { method: "POST", headers });
      expect(response.status).toBe(200);
      return ((await response.json()) as { ticket: string }).ticket;
    };
    const wsUrl = (node: typeof a, t: string) => `${node.url.replace("http", "ws")}/api/realtime?ticket=${t}`;

    const onB = new WsClient(await openSocket(wsUrl(b, await ticket(a))));
    clients.push(onB);
    const pingId = onB.send({ type: "ping" });
    await onB.next("pong", (frame) => frame.id === pingId);
    const unused = await ticket(b);
    // Another credential of the same principal on node B is not touched.
    const bearerOnB = new WsClient(
      await openSocket(wsUrl(b, "").replace("?ticket=", ""), {
        authorization: `Bearer ${alice.token}`,
      }),
    );
    clients.push(bearerOnB);

    const signOut = await fetch(`${a.url}/api/auth/session`, { method: "DELETE", headers });
    expect(signOut.status).toBe(204);

    expect(await onB.closed(1_000)).toBe(CLOSE_CODES.unauthorized);
    await expect(openSocket(wsUrl(b, unused))).rejects.toMatchObject({ status: 401 });
    const stillThere = bearerOnB.send({ type: "ping" });
    await bearerOnB.next("pong", (frame) => frame.id === stillThere);
    expect((await requestAs(b.url, alice.token, "GET", "/api/me")).status).toBe(200);
  });
});
