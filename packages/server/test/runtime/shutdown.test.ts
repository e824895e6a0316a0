import { connect } from "node:net";
import { startTestServer } from "@agentboard/test-support";
import { describe, expect, it } from "vitest";

describe("shutdown", () => {
  it("does not wait forever for a connection that never finishes its request", async () => {
    const server = await startTestServer();
    const { port } = new URL(server.url);
    const socket = connect(Number(port), "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const cut = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    socket.on("error", () => {});
    // Headers that never end: Node would wait for its headers timeout (60 s) before giving up on it.
    socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    await server.close();
    await cut;
    expect(socket.destroyed).toBe(true);
  }, 20_000);
});
