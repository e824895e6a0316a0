import { type ClientRequest, request as httpRequest, type IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { noteWidget, startTestServer, type TestServer } from "@agentboard/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runInput } from "./agui-helpers.js";

let server: TestServer;

beforeAll(async () => {
  // The smallest send buffer the configuration allows, so a reader falls behind after a few changes.
  server = await startTestServer({ AGENTBOARD_WS_MAX_BUFFERED_BYTES: "65536" });
});
afterAll(async () => server?.close());

/** Opens a run and reads nothing of its answer after the status line (a stalled or hostile reader). */
function openStalled(token: string): Promise<{ request: ClientRequest; response: IncomingMessage }> {
  const url = new URL(`${server.url}/api/agui/me`);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      },
      (response) => {
        response.pause();
        resolve({ request, response });
      },
    );
    request.once("error", reject);
    request.end(JSON.stringify(runInput()));
  });
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !condition(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

describe("a reader that stops reading", () => {
  it("is dropped with its buffered answer: the run ends and the server closes its connection", async () => {
    const alice = await server.caller({ name: "alice" });
    await alice.request("PUT", "/api/dashboards/me/widgets/a", noteWidget("start"));
    // The server's end of each connection: a paused client never reads the end of its own, so the test
    // watches the server's.
    const accepted: Socket[] = [];
    const onConnection = (socket: Socket) => accepted.push(socket);
    server.app.server.on("connection", onConnection);
    const { request, response } = await openStalled(alice.token);
    server.app.server.off("connection", onConnection);
    expect(response.statusCode).toBe(200);
    const serverSide = accepted.find((socket) => socket.remotePort === request.socket?.localPort);
    expect(serverSide).toBeDefined();
    await until(() => server.app.aguiRuns.size === 1, "the run to open");

    // Changes far past the send buffer and the kernel's socket buffers: the hub's slow-consumer guard ends
    // the run (RUN_ERROR resync_required is the last thing queued for the reader).
    const big = "x".repeat(60_000);
    for (let i = 0; i < 80 && server.app.aguiRuns.size > 0; i++) {
      const rev = (await alice.request("GET", "/api/dashboards/me/state")).body.rev as number;
      await alice.request("PATCH", "/api/dashboards/me/state", {
        baseRev: rev,
        ops: [{ op: "replace", path: "/widgets/a/props/markdown", value: `${big}${i}` }],
      });
    }
    await until(() => server.app.aguiRuns.size === 0, "the run to end");

    // What was queued for a reader that never reads must not be held for as long as it keeps the socket:
    // the server lets go of the connection (as the WebSocket path cuts a peer that ignores its close).
    await until(() => serverSide?.destroyed === true, "the server to close the stalled connection");
    response.destroy();
  }, 60_000);
});
