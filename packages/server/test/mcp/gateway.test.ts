import { startTestServer, type TestServer } from "@agentboard/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMcpList } from "../../src/mcp/gateway/mcp-list-command.js";
import {
  EVERYTHING,
  FIXTURE,
  MEMORY,
  startEverythingHttp,
  stdio,
  textOf,
  waitForServers,
} from "./gateway-helpers.js";

/**
 * The gateway against real MCP servers: the official server-everything (stdio and Streamable HTTP) and
 * server-memory from npm, plus our fixture for the failures the official ones cannot be told to have.
 */
describe("MCP gateway with real upstreams", () => {
  let server: TestServer;
  let http: Awaited<ReturnType<typeof startEverythingHttp>>;
  const secrets = {
    AGENTBOARD_METRICS_KEYS: "metrics-key-that-must-not-leak-0001",
    AGENTBOARD_DATABASE_URL_PROBE: "postgres://user:hunter2@db.internal/prod",
    DATABASE_URL: "postgres://user:hunter2@db.internal/prod",
    GITHUB_TOKEN: "ghp_secret_that_must_not_leak",
    GATEWAY_TEST_DECLARED: "declared-value-42",
  };
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    // agentboard's own environment holds secrets; a stdio child must see none of them.
    for (const [key, value] of Object.entries(secrets)) {
      saved[key] = process.env[key];
      process.env[key] = value;
    }
    http = await startEverythingHttp();
    server = await startTestServer({
      AGENTBOARD_MCP_SERVERS: JSON.stringify({
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the config file's ${VAR} syntax, on purpose.
        everything: stdio(EVERYTHING, ["stdio"], { env: { DECLARED: "${GATEWAY_TEST_DECLARED}" } }),
        memory: stdio(MEMORY, [], { env: { MEMORY_FILE_PATH: "/tmp/agentboard-gateway-test-memory.jsonl" } }),
        remote: { url: http.url, allowPrivateNetwork: true },
        // The same HTTP server without the opt-in: the SSRF guard refuses loopback.
        guarded: { url: http.url },
        hung: stdio(FIXTURE, ["--hang"], { connectTimeoutMs: 400 }),
        stalling: stdio(FIXTURE, [], { callTimeoutMs: 300 }),
        broken: { command: "node", url: "http://example.com" },
      }),
    });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await http?.stop();
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it("connects stdio and HTTP upstreams in parallel and lists their tools as <server>__<tool>", async () => {
    const user = await server.caller({ name: "gw-user" });
    await waitForServers(server.app, (s) =>
      ["everything", "memory", "remote", "stalling"].every((name) => s.get(name)?.status === "connected"),
    );
    const servers = await user.request("GET", "/api/mcp/servers");
    expect(servers.status).toBe(200);
    const byName = new Map(servers.body.items.map((s: { name: string }) => [s.name, s]));
    expect(byName.get("everything")).toMatchObject({
      status: "connected",
      transport: "stdio",
      breaker: "closed",
    });
    expect(byName.get("remote")).toMatchObject({ status: "connected", transport: "http" });
    expect((byName.get("everything") as { tools: number }).tools).toBeGreaterThan(5);

    const tools = await user.request("GET", "/api/mcp/tools");
    const names = tools.body.items.map((t: { name: string }) => t.name);
    expect(names).toEqual(expect.arrayContaining(["everything__echo", "memory__read_graph", "remote__echo"]));
    const deleteEntities = tools.body.items.find(
      (t: { name: string }) => t.name === "memory__delete_entities",
    );
    expect(deleteEntities.requiresApproval).toBe(true);
    expect(
      tools.body.items.find((t: { name: string }) => t.name === "memory__read_graph").requiresApproval,
    ).toBe(false);

    for (const name of ["everything__echo", "remote__echo"]) {
      const call = await user.request("POST", `/api/mcp/tools/${name}/call`, {
        arguments: { message: "hi" },
      });
      expect(call.status).toBe(200);
      expect(call.body.pending).toBe(false);
      expect(textOf(call.body.result)).toBe("Echo: hi");
      expect(call.body.approval).toBeUndefined();
    }
  });

  it("refuses an HTTP upstream on loopback unless its entry allows private networks", async () => {
    const servers = await waitForServers(server.app, (s) => s.get("guarded")?.error !== undefined);
    expect(servers.get("guarded")?.status).not.toBe("connected");
    expect(servers.get("guarded")?.error).toMatch(/loopback, private or link-local.*allowPrivateNetwork/);
  });

  it("reports a bad entry in one line at start and keeps the others", async () => {
    expect(server.config.warnings.filter((w) => w.includes("mcpServers.broken"))).toEqual([
      expect.stringMatching(
        /^mcpServers\.broken \(AGENTBOARD_MCP_SERVERS\) needs exactly one of command .* or url .*; skipped$/,
      ),
    ]);
    const user = await server.caller({ name: "gw-user" });
    const servers = await user.request("GET", "/api/mcp/servers");
    const broken = servers.body.items.find((s: { name: string }) => s.name === "broken");
    expect(broken).toMatchObject({ status: "invalid", tools: 0 });
    expect(broken.error).toContain("needs exactly one of command");
  });

  it("gives a stdio child only its declared env and the SDK defaults, none of agentboard's", async () => {
    const user = await server.caller({ name: "gw-user" });
    await waitForServers(server.app, (s) => s.get("everything")?.status === "connected");
    const call = await user.request("POST", "/api/mcp/tools/everything__get-env/call", { arguments: {} });
    expect(call.status).toBe(200);
    const env = JSON.parse(textOf(call.body.result)) as Record<string, string>;
    expect(env.DECLARED).toBe("declared-value-42");
    const text = JSON.stringify(env);
    for (const value of Object.values(secrets).filter((v) => v !== "declared-value-42"))
      expect(text).not.toContain(value);
    expect(Object.keys(env).filter((key) => key.startsWith("AGENTBOARD_"))).toEqual([]);
    expect(Object.keys(env).sort()).toEqual(expect.arrayContaining(["DECLARED", "PATH"]));
    expect(
      Object.keys(env).every((key) =>
        ["DECLARED", "HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER"].includes(key),
      ),
    ).toBe(true);
  });

  it("brings an upstream killed mid-session back by itself", async () => {
    const user = await server.caller({ name: "gw-user" });
    const before = await waitForServers(server.app, (s) => s.get("everything")?.pid !== undefined);
    const pid = before.get("everything")?.pid as number;
    process.kill(pid, "SIGKILL");
    const after = await waitForServers(
      server.app,
      (s) => s.get("everything")?.status === "connected" && s.get("everything")?.pid !== pid,
    );
    expect(after.get("everything")?.error).toBe("connection closed");
    const call = await user.request("POST", "/api/mcp/tools/everything__echo/call", {
      arguments: { message: "back" },
    });
    expect(textOf(call.body.result)).toBe("Echo: back");
  });

  it("times out a hung server, opens its breaker, and the others keep answering", async () => {
    const user = await server.caller({ name: "gw-user" });
    // Never answers initialize: each connect attempt times out; three in a row open its breaker.
    // The breaker opens inside the failing attempt (status still "connecting"); "down" follows as it ends.
    const hung = await waitForServers(
      server.app,
      (s) => s.get("hung")?.breaker === "open" && s.get("hung")?.status === "down",
    );
    expect(hung.get("hung")?.error).toMatch(/no answer within 400 ms/);

    // Answers initialize, never a call: three call timeouts open the breaker, then calls fail at once.
    await waitForServers(server.app, (s) => s.get("stalling")?.status === "connected");
    for (let i = 0; i < 3; i++) {
      const call = await user.request("POST", "/api/mcp/tools/stalling__stall/call", { arguments: {} });
      expect(call.body.result).toMatchObject({ isError: true });
      expect(textOf(call.body.result)).toMatch(/did not answer within 300 ms/);
    }
    const open = await user.request("POST", "/api/mcp/tools/stalling__echo/call", {
      arguments: { text: "x" },
    });
    expect(textOf(open.body.result)).toMatch(/circuit breaker is open/);
    const servers = await user.request("GET", "/api/mcp/servers");
    expect(servers.body.items.find((s: { name: string }) => s.name === "stalling").breaker).toBe("open");

    const echo = await user.request("POST", "/api/mcp/tools/everything__echo/call", {
      arguments: { message: "still" },
    });
    expect(textOf(echo.body.result)).toBe("Echo: still");
    const memory = await user.request("POST", "/api/mcp/tools/memory__read_graph/call", { arguments: {} });
    expect(memory.body.result.isError).toBeFalsy();

    // Readiness: the node stays ready; mcp is reported degraded with each server's status.
    const ready = await server.raw("GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body.components.mcp.status).toBe("degraded");
    expect(ready.body.components.mcp.servers.hung).toMatchObject({ status: "down", breaker: "open" });
    expect(ready.body.components.mcp.servers.everything).toMatchObject({ status: "connected" });
  });

  it("answers not_found for unknown tools and servers without calling anything", async () => {
    const user = await server.caller({ name: "gw-user" });
    for (const name of ["nope__echo", "everything__nope", "everything", "broken__x"]) {
      const call = await user.request("POST", `/api/mcp/tools/${name}/call`, { arguments: {} });
      expect(call.status).toBe(404);
      expect(call.body.error).toBe("not_found");
    }
    const viewer = await server.caller({ name: "gw-viewer", role: "viewer" });
    const call = await viewer.request("POST", "/api/mcp/tools/everything__echo/call", {
      arguments: { message: "x" },
    });
    expect(call.status).toBe(403);
  });

  it("agentboard mcp list prints each server's status, tools, latency, breaker and error", async () => {
    const user = await server.caller({ name: "gw-user" });
    const table = await runMcpList({ url: server.url, token: user.token });
    const lines = table.trim().split("\n");
    expect(lines[0]).toMatch(/^NAME\s+STATUS\s+TOOLS\s+LATENCY\s+BREAKER\s+ERROR$/);
    expect(lines.find((l) => l.startsWith("everything "))).toMatch(
      /^everything\s+connected\s+\d+\s+\d+ ms\s+closed$/,
    );
    expect(lines.find((l) => l.startsWith("hung "))).toMatch(
      /^hung\s+(down|connecting)\s+0\s+-\s+(open|half-open)\s+connect failed/,
    );
    await expect(runMcpList({ url: server.url, token: "ab_wrong" })).rejects.toThrow(/401/);
  });

  it("exports per-server metrics with bounded labels", async () => {
    const metrics = await server.raw("GET", "/metrics");
    expect(metrics.status).toBe(200);
    expect(metrics.body).toMatch(
      /agentboard_mcp_upstream_calls_total\{server="everything",outcome="ok"\} [1-9]/,
    );
    expect(metrics.body).toMatch(/agentboard_mcp_upstream_breaker_state\{server="stalling"\} 2/);
    expect(metrics.body).toMatch(
      /agentboard_mcp_upstream_call_duration_seconds_bucket\{le="0.005",server="everything"\}/,
    );
    expect(metrics.body).not.toMatch(/server="nope"/);
  });
});
