import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestServer, type TestServer } from "@agentboard/test-support";
import { afterEach, describe, expect, it } from "vitest";
import { createBoardClient } from "../src/index.js";

const servers: TestServer[] = [];
let dataDir: string;
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(port?: number) {
  const server = await startTestServer({}, { dataDir, port });
  servers.push(server);
  return server;
}

async function stop(server: TestServer) {
  servers.splice(servers.indexOf(server), 1);
  await server.close();
}

async function until(probe: () => boolean, what: string) {
  const deadline = Date.now() + 5_000;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function approveOver(url: string, token: string, id: string) {
  const response = await fetch(`${url}/api/approvals/${id}/approve`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: "{}",
  });
  expect(response.status).toBe(200);
}

/** A first server on a fresh data dir, an agent's SDK on it, and that agent already waiting on a new approval. */
async function agentWaiting(dirPrefix: string, approvalWaits?: "long-poll") {
  dataDir = mkdtempSync(join(tmpdir(), dirPrefix));
  const first = await start();
  const port = Number(new URL(first.url).port);
  const agent = await first.caller({ kind: "agent", name: "deployer" });
  const human = await first.caller({ name: "alice" });
  const board = createBoardClient({
    url: first.url,
    token: agent.token,
    ...(approvalWaits ? { approvalWaits } : {}),
  });
  const handle = await board.approvals.request({ type: "deploy", title: "Deploy", confidence: 10 });
  return { first, port, human, board, handle, waiting: handle.wait({ timeoutMs: 60_000 }) };
}

/** The agent keeps running (same process, same SDK object, fixed URL) while the server goes away. */
describe("wait() across server restarts (long-poll)", () => {
  it("the server restarts mid-wait; the decision is made on the new process; the wait resolves", async () => {
    const { first, port, human, handle, waiting } = await agentWaiting(
      "agentboard-sdk-restart-",
      "long-poll",
    );
    await until(() => first.runtime.approvals.waiters.size === 1, "the first server to hold the wait");
    await stop(first);

    const second = await start(port);
    await until(() => second.runtime.approvals.waiters.size === 1, "the SDK to wait on the restarted server");
    await approveOver(second.url, human.token, handle.id);
    await expect(waiting).resolves.toMatchObject({ id: handle.id, status: "approved" });
  });

  it("a decision made while the SDK cannot reach the server is picked up after it comes back", async () => {
    const { first, port, human, handle, waiting } = await agentWaiting(
      "agentboard-sdk-offline-",
      "long-poll",
    );
    let settled = false;
    void waiting.finally(() => {
      settled = true;
    });
    await until(() => first.runtime.approvals.waiters.size === 1, "the first server to hold the wait");
    await stop(first);

    // Meanwhile a human decides through another node on the same store, out of the SDK's reach.
    const otherNode = await start();
    await approveOver(otherNode.url, human.token, handle.id);
    await stop(otherNode);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled).toBe(false); // nothing reachable has told the SDK yet

    await start(port);
    await expect(waiting).resolves.toMatchObject({ id: handle.id, status: "approved" });
  });
});

describe("wait() across server restarts (realtime WebSocket)", () => {
  it("re-reads the approval after the socket reconnects, so a decision made while it was down is seen", async () => {
    const { first, port, human, board, handle, waiting } = await agentWaiting("agentboard-sdk-ws-restart-");
    try {
      await until(
        () => first.app.realtimeHub.subscriptionCount("approvals") === 1,
        "the SDK to follow approval events",
      );
      expect(first.runtime.approvals.waiters.size).toBe(0); // event-driven: no long-poll held
      await stop(first);

      // Decided where the SDK cannot see it; only the re-read after the reconnect can tell it.
      const otherNode = await start();
      await approveOver(otherNode.url, human.token, handle.id);
      await stop(otherNode);

      const second = await start(port);
      await expect(waiting).resolves.toMatchObject({ id: handle.id, status: "approved" });
      expect(second.runtime.approvals.waiters.size).toBe(0);
    } finally {
      await board.close();
    }
  });
});
