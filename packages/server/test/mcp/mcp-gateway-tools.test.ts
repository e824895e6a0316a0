import { type Caller, startTestServer, type TestServer } from "@agentboard/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MEMORY, stdio, waitForServers } from "./gateway-helpers.js";
import { connectV1, connectV2Modern } from "./mcp-clients.js";

/** The gateway's upstream tools (McpToolProvider) on agentboard's own /mcp, next to the built-in ones. */
describe("/mcp lists and calls the gateway's tools as <server>__<tool>", () => {
  let server: TestServer;
  let user: Caller;

  beforeAll(async () => {
    server = await startTestServer({
      AGENTBOARD_MCP_SERVERS: JSON.stringify({ memory: stdio(MEMORY) }),
    });
    user = await server.caller({ name: "alice", role: "member" });
    await waitForServers(server.app, (servers) => servers.get("memory")?.status === "connected");
  });

  afterAll(async () => {
    await server?.close();
  });

  it("over 2025 sessions (v1 client) and 2026-07-28 (v2 client)", async () => {
    const { client: v1 } = await connectV1(server.url, user.token);
    const v2 = await connectV2Modern(server.url, user.token);
    try {
      for (const client of [v1, v2] as Array<{
        listTools(): Promise<{ tools: Array<{ name: string }> }>;
        callTool(p: { name: string; arguments: Record<string, unknown> }): Promise<any>;
      }>) {
        const names = (await client.listTools()).tools.map((t) => t.name);
        expect(names).toEqual(expect.arrayContaining(["render_widget", "memory__read_graph"]));
        // A read-only upstream tool runs directly and its result comes back as the upstream gave it.
        const graph = await client.callTool({ name: "memory__read_graph", arguments: {} });
        expect(graph.isError).toBeFalsy();
        expect(JSON.stringify(graph.content ?? graph.structuredContent)).toContain("entities");
      }
    } finally {
      await v1.close();
      await v2.close();
    }
  });
});
