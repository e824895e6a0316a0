import { describe, expect, it } from "vitest";
import { MEMORY, upstreamForSuite } from "./gateway-helpers.js";
import { connectV1, connectV2Modern } from "./mcp-clients.js";

/** The gateway's upstream tools (McpToolProvider) on agentboard's own /mcp, next to the built-in ones. */
describe("/mcp lists and calls the gateway's tools as <server>__<tool>", () => {
  const t = upstreamForSuite("memory", MEMORY);

  it("over 2025 sessions (v1 client) and 2026-07-28 (v2 client)", async () => {
    const { client: v1 } = await connectV1(t.server.url, t.user.token);
    const v2 = await connectV2Modern(t.server.url, t.user.token);
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
