import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createBoardClient } from "@agentboard/client";
import { type Caller, startTestServer, type TestServer } from "@agentboard/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE, fixtureFiles, MEMORY, stdio, textOf, waitForServers } from "./gateway-helpers.js";

/** Executions of the fixture's `increment`, counted in its file (one line per run). */
function executions(file: string): string[] {
  try {
    return readFileSync(file, "utf8").split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

describe("the human gate on upstream MCP tools", () => {
  const { dir, counter } = fixtureFiles("agentboard-gate-");
  let server: TestServer;
  let agent: Caller;
  let human: Caller;

  beforeAll(async () => {
    server = await startTestServer({
      // Even an operator who lists the type for auto-approval cannot make gated calls run unattended.
      AGENTBOARD_APPROVAL_AUTO_TYPES: "mcp.tool_call",
      AGENTBOARD_APPROVAL_AUTO_THRESHOLD: "1",
      AGENTBOARD_APPROVAL_QUICK_THRESHOLD: "0",
      AGENTBOARD_MCP_SERVERS: JSON.stringify({
        fixture: stdio(FIXTURE, [], { env: { FIXTURE_COUNTER_FILE: counter }, requireApproval: ["echo"] }),
        memory: stdio(MEMORY, [], { env: { MEMORY_FILE_PATH: join(dir, "memory.jsonl") } }),
      }),
    });
    agent = await server.caller({ kind: "agent", name: "gate-agent" });
    human = await server.caller({ name: "gate-human", role: "member" });
    await waitForServers(
      server.app,
      (s) => s.get("fixture")?.status === "connected" && s.get("memory")?.status === "connected",
    );
  }, 60_000);

  afterAll(async () => {
    await server?.close();
  });

  it("runs read-only tools at once and gates unannotated, destructive and requireApproval ones", async () => {
    const tools = (await agent.request("GET", "/api/mcp/tools")).body.items as Array<{
      name: string;
      requiresApproval: boolean;
    }>;
    const gated = Object.fromEntries(tools.map((t) => [t.name, t.requiresApproval]));
    expect(gated).toMatchObject({
      fixture__count: false, // readOnlyHint
      fixture__increment: true, // no annotations: the MCP default is destructive
      fixture__echo: true, // read-only, but listed in requireApproval
      memory__delete_entities: true, // destructiveHint
      memory__create_entities: false, // additive (destructiveHint: false)
      memory__read_graph: false,
    });
    const count = await agent.request("POST", "/api/mcp/tools/fixture__count/call", { arguments: {} });
    expect(count.status).toBe(200);
    expect(count.body.approval).toBeUndefined();
  });

  it("holds a gated call until a human approves, then runs it exactly once for every retry", async () => {
    const args = { by: 1 };
    const body = { arguments: args, idempotencyKey: "retry-1", waitMs: 0 };
    const first = await agent.request("POST", "/api/mcp/tools/fixture__increment/call", body);
    expect(first.status).toBe(202);
    const approval = first.body.approval;
    expect(approval).toMatchObject({
      type: "mcp.tool_call",
      status: "pending",
      route: "full",
      action: { tool: "fixture__increment", args },
    });
    expect(executions(counter)).toHaveLength(0);

    // Three retries while it waits, each holding its request open: all land on the same approval.
    const retries = [1, 2, 3].map(() =>
      agent.request("POST", "/api/mcp/tools/fixture__increment/call", { ...body, waitMs: 20_000 }),
    );
    const approved = await human.request("POST", `/api/approvals/${approval.id}/approve`, { reason: "fine" });
    expect(approved.status).toBe(200);
    const answers = await Promise.all(retries);
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body.approval.id).toBe(approval.id);
      expect(textOf(answer.body.result)).toBe("count is 1");
    }
    // …and three more after the fact: the recorded result, no new run.
    for (let i = 0; i < 3; i++) {
      const again = await agent.request("POST", "/api/mcp/tools/fixture__increment/call", body);
      expect(again.status).toBe(200);
      expect(textOf(again.body.result)).toBe("count is 1");
    }
    expect(executions(counter)).toEqual([JSON.stringify(args)]);
  });

  it("treats an identical call without a key as a retry of the same call", async () => {
    const body = { arguments: { by: 7 }, waitMs: 0 };
    const first = await agent.request("POST", "/api/mcp/tools/fixture__increment/call", body);
    const second = await agent.request("POST", "/api/mcp/tools/fixture__increment/call", body);
    expect(second.body.approval.id).toBe(first.body.approval.id);
    // Different arguments are a different call, with an approval of their own.
    const other = await agent.request("POST", "/api/mcp/tools/fixture__increment/call", {
      arguments: { by: 8 },
      waitMs: 0,
    });
    expect(other.body.approval.id).not.toBe(first.body.approval.id);
    await human.request("POST", `/api/approvals/${first.body.approval.id}/reject`, {});
    await human.request("POST", `/api/approvals/${other.body.approval.id}/reject`, {});
  });

  it("answers a rejected call with isError, the decision and the reason, and never runs it", async () => {
    const before = executions(counter).length;
    const pending = agent.request("POST", "/api/mcp/tools/fixture__increment/call", {
      arguments: { by: 100 },
      idempotencyKey: "reject-1",
      waitMs: 20_000,
    });
    const listed = await waitForPending(human, "fixture__increment", { by: 100 });
    await human.request("POST", `/api/approvals/${listed.id}/reject`, { reason: "not today" });
    const answer = await pending;
    expect(answer.status).toBe(200);
    expect(answer.body.result.isError).toBe(true);
    expect(textOf(answer.body.result)).toMatch(/^Not run: approval .* was rejected by user:.*: not today$/);
    expect(answer.body.result.structuredContent.approval).toMatchObject({
      status: "rejected",
      reason: "not today",
    });
    expect(executions(counter)).toHaveLength(before);

    // A cancelled one (by its requester) is refused the same way.
    const cancelled = await agent.request("POST", "/api/mcp/tools/fixture__increment/call", {
      arguments: { by: 101 },
      waitMs: 0,
    });
    await agent.request("DELETE", `/api/approvals/${cancelled.body.approval.id}`, {
      reason: "changed my mind",
    });
    const after = await agent.request("POST", "/api/mcp/tools/fixture__increment/call", {
      arguments: { by: 101 },
    });
    expect(textOf(after.body.result)).toMatch(/was cancelled by agent:.*: changed my mind$/);
    expect(executions(counter)).toHaveLength(before);
  });

  it("gates a destructive tool of server-memory and runs it after approval", async () => {
    await agent.request("POST", "/api/mcp/tools/memory__create_entities/call", {
      arguments: { entities: [{ name: "gate-entity", entityType: "test", observations: ["x"] }] },
    });
    const call = await agent.request("POST", "/api/mcp/tools/memory__delete_entities/call", {
      arguments: { entityNames: ["gate-entity"] },
      waitMs: 0,
    });
    expect(call.status).toBe(202);
    const graph = await agent.request("POST", "/api/mcp/tools/memory__read_graph/call", { arguments: {} });
    expect(JSON.stringify(graph.body.result)).toContain("gate-entity");
    await human.request("POST", `/api/approvals/${call.body.approval.id}/approve`, {});
    const done = await agent.request("POST", "/api/mcp/tools/memory__delete_entities/call", {
      arguments: { entityNames: ["gate-entity"] },
    });
    expect(done.status).toBe(200);
    expect(done.body.result.isError).toBeFalsy();
    const after = await agent.request("POST", "/api/mcp/tools/memory__read_graph/call", { arguments: {} });
    expect(JSON.stringify(after.body.result)).not.toContain("gate-entity");
  });

  it("works from the SDK: board.mcp.tools() and a gated board.mcp.call() that resolves once approved", async () => {
    const board = createBoardClient({ url: server.url, token: agent.token });
    try {
      const tools = await board.mcp.tools();
      expect(tools.map((t) => t.name)).toContain("fixture__increment");
      expect((await board.mcp.servers()).find((s) => s.name === "fixture")?.status).toBe("connected");
      const before = executions(counter).length;
      const call = board.mcp.call("fixture__increment", { by: 42 });
      const pending = await waitForPending(human, "fixture__increment", { by: 42 });
      await human.request("POST", `/api/approvals/${pending.id}/approve`, {});
      const result = await call;
      expect(result.isError).toBeFalsy();
      expect(textOf(result)).toBe(`count is ${before + 1}`);
      expect(executions(counter)).toHaveLength(before + 1);
    } finally {
      await board.close();
    }
  });

  it("never auto-approves, whatever the policy says", async () => {
    const call = await agent.request("POST", "/api/mcp/tools/fixture__echo/call", {
      arguments: { text: "x" },
      waitMs: 0,
    });
    expect(call.status).toBe(202);
    expect(call.body.approval).toMatchObject({ status: "pending", route: "full" });
    await human.request("POST", `/api/approvals/${call.body.approval.id}/reject`, {});
  });
});

/** The pending approval of this gated call, as the inbox lists it (the request is in flight). */
async function waitForPending(human: Caller, tool: string, args: unknown) {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
    const list = await human.request("GET", "/api/approvals?status=pending&type=mcp.tool_call");
    const found = list.body.items.find(
      (a: { action: { tool: string; args: unknown } }) =>
        a.action.tool === tool && JSON.stringify(a.action.args) === JSON.stringify(args),
    );
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no pending approval for ${tool} within 10 s`);
}
