import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AgentCard } from "@a2a-js/sdk";
import {
  callersForSuite,
  closedAfterTest,
  deployRequest,
  eventually,
  noteWidget,
  startTestServer,
} from "@agentboard/test-support";
import { describe, expect, it, onTestFinished } from "vitest";
import { approvalPolicyFromConfig } from "../../src/approvals/approval-policy-config.js";
import { openEmbeddedRuntime } from "../../src/runtime/embedded.js";
import { a2aClient, artifactData, dataMessage, getTask, send, settledTask, stateOf } from "./a2a-helpers.js";

describe("agentboard as an A2A agent", () => {
  const t = callersForSuite({
    agent: { kind: "agent", name: "a2a-asker" },
    human: { name: "a2a-human", role: "member" },
  });

  it("serves a 1.0 card: JSON-RPC at <url>/a2a, bearer declared, both skills", async () => {
    const raw = await t.server.raw("GET", "/.well-known/agent-card.json");
    expect(raw.status).toBe(200);
    const card = AgentCard.fromJSON(raw.body);
    expect(card.name).toBe("agentboard");
    expect(card.description).not.toBe("");
    expect(card.supportedInterfaces).toEqual([
      expect.objectContaining({
        url: `${t.server.url}/a2a`,
        protocolBinding: "JSONRPC",
        protocolVersion: "1.0",
      }),
    ]);
    expect(card.skills.map((s) => s.id)).toEqual(["request_approval", "render_widget"]);
    expect(card.securitySchemes.bearer?.scheme).toMatchObject({
      $case: "httpAuthSecurityScheme",
      value: { scheme: "Bearer" },
    });
    expect(card.securityRequirements[0]?.schemes).toHaveProperty("bearer");
    // The SDK client accepts it and picks our JSON-RPC interface.
    const client = await a2aClient(t.server.url, t.agent.token);
    expect((await client.getAgentCard()).name).toBe("agentboard");
  });

  it("answers 401 without a token or with a bad one", async () => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "GetTask", params: { id: "x" } });
    const headers = { "content-type": "application/json", "a2a-version": "1.0" };
    const none = await t.server.raw("POST", "/a2a", { headers, body });
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const bad = await t.server.raw("POST", "/a2a", {
      headers: { ...headers, authorization: "Bearer nope" },
      body,
    });
    expect(bad.status).toBe(401);
    const client = await a2aClient(t.server.url);
    await expect(getTask(client, "x")).rejects.toThrow();
  });

  it("request_approval: working until a human approves, then completed with the decision", async () => {
    const client = await a2aClient(t.server.url, t.agent.token);
    const task = await send(client, "request_approval", deployRequest());
    expect(stateOf(task)).toBe("TASK_STATE_WORKING");
    const approvalId = task.metadata?.approvalId as string;
    const inbox = await t.human.request("GET", `/api/approvals/${approvalId}`);
    expect(inbox.body).toMatchObject({
      status: "pending",
      requestedBy: { kind: "agent", id: t.agent.principal.id },
    });
    expect(stateOf(await getTask(client, task.id))).toBe("TASK_STATE_WORKING");

    expect(
      (await t.human.request("POST", `/api/approvals/${approvalId}/approve`, { reason: "ship it" })).status,
    ).toBe(200);
    const done = await settledTask(client, task.id);
    expect(stateOf(done)).toBe("TASK_STATE_COMPLETED");
    expect(artifactData(done, "decision")).toMatchObject({
      approvalId,
      status: "approved",
      reason: "ship it",
    });
  });

  it("request_approval: a rejection makes the task rejected", async () => {
    const client = await a2aClient(t.server.url, t.agent.token);
    const task = await send(client, "request_approval", deployRequest());
    const approvalId = task.metadata?.approvalId as string;
    expect(
      (await t.human.request("POST", `/api/approvals/${approvalId}/reject`, { reason: "no" })).status,
    ).toBe(200);
    const done = await settledTask(client, task.id);
    expect(stateOf(done)).toBe("TASK_STATE_REJECTED");
    expect(artifactData(done, "decision")).toMatchObject({ status: "rejected", reason: "no" });
  });

  it("CancelTask cancels the approval as the requester", async () => {
    const client = await a2aClient(t.server.url, t.agent.token);
    const task = await send(client, "request_approval", deployRequest());
    const approvalId = task.metadata?.approvalId as string;
    const cancelled = await client.cancelTask({ tenant: "", id: task.id, metadata: undefined });
    expect(stateOf(cancelled)).toBe("TASK_STATE_CANCELED");
    const approval = await t.human.request("GET", `/api/approvals/${approvalId}`);
    expect(approval.body).toMatchObject({ status: "cancelled", decidedBy: { id: t.agent.principal.id } });
    expect(stateOf(await getTask(client, task.id))).toBe("TASK_STATE_CANCELED");
    // A decided task is not cancelable.
    const other = await send(client, "request_approval", deployRequest());
    await t.human.request("POST", `/api/approvals/${other.metadata?.approvalId}/approve`, {});
    await eventually(
      () => getTask(client, other.id),
      (t) => stateOf(t) === "TASK_STATE_COMPLETED",
    );
    await expect(client.cancelTask({ tenant: "", id: other.id, metadata: undefined })).rejects.toThrow(
      /not cancelable/i,
    );
  });

  it("another principal's task id is not found", async () => {
    const mine = await send(
      await a2aClient(t.server.url, t.agent.token),
      "request_approval",
      deployRequest(),
    );
    const other = await t.server.caller({ kind: "agent", name: "a2a-other" });
    const theirs = await a2aClient(t.server.url, other.token);
    await expect(getTask(theirs, mine.id)).rejects.toThrow(/not found/i);
    await expect(theirs.cancelTask({ tenant: "", id: mine.id, metadata: undefined })).rejects.toThrow(
      /not found/i,
    );
    const approval = await t.human.request("GET", `/api/approvals/${mine.metadata?.approvalId}`);
    expect(approval.body.status).toBe("pending");
  });

  it("SendStreamingMessage answers SSE: the working task, then the stream ends", async () => {
    const client = await a2aClient(t.server.url, t.agent.token);
    const events = [];
    for await (const event of client.sendMessageStream({
      tenant: "",
      message: dataMessage("request_approval", deployRequest()),
      configuration: undefined,
      metadata: undefined,
    })) {
      events.push(event);
    }
    expect(events.length).toBeGreaterThan(0);
    const first = events[0]?.payload;
    expect(first?.$case).toBe("task");
    if (first?.$case !== "task") return;
    expect(stateOf(first.value)).toBe("TASK_STATE_WORKING");
    expect(stateOf(await getTask(client, first.value.id))).toBe("TASK_STATE_WORKING");
  });

  it("an approval that expires makes the task failed", async () => {
    const client = await a2aClient(t.server.url, t.agent.token);
    const task = await send(
      client,
      "request_approval",
      deployRequest({ expiresInSec: 1, onTimeout: "expire" }),
    );
    expect(stateOf(task)).toBe("TASK_STATE_WORKING");
    const done = await settledTask(client, task.id);
    expect(stateOf(done)).toBe("TASK_STATE_FAILED");
    expect(artifactData(done, "decision")).toMatchObject({ status: "expired" });
  });

  it("render_widget draws on a dashboard as the caller and completes with {rev, widget}", async () => {
    const writer = await t.server.caller({ name: "a2a-writer", role: "member" });
    const dashboardId = "me";
    const client = await a2aClient(t.server.url, writer.token);
    const task = await send(client, "render_widget", {
      dashboardId,
      widget: { id: "a2a-note", ...noteWidget("drawn over A2A") },
    });
    expect(stateOf(task)).toBe("TASK_STATE_COMPLETED");
    const result = artifactData(task, "widget");
    expect(result.widget).toMatchObject({ id: "a2a-note", type: "note" });
    const read = await writer.request("GET", `/api/dashboards/${dashboardId}/state`);
    expect(read.body.rev).toBe(result.rev);
    expect(read.body.state.widgets["a2a-note"]).toMatchObject({
      props: { markdown: "drawn over A2A" },
      updatedBy: `user:${writer.principal.id}`,
    });
  });
});

describe("A2A tasks across a restart", () => {
  /**
   * A server on a data dir of its own (removed when the test ends) where `agentName` asks for an approval
   * over A2A, then stopped: the agent, its working task, and `restart()` to start a server there again.
   */
  async function taskThenStop(agentName: string) {
    const dataDir = mkdtempSync(join(tmpdir(), "agentboard-a2a-restart-"));
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }));
    const first = await startTestServer({}, { dataDir });
    const agent = await first.caller({ kind: "agent", name: agentName });
    const task = await send(await a2aClient(first.url, agent.token), "request_approval", deployRequest());
    await first.close();
    const port = Number(new URL(first.url).port);
    const restart = () => closedAfterTest(startTestServer({}, { dataDir, port }));
    return { dataDir, config: first.config, agent, task, restart };
  }

  it("a working task survives a restart and completes when approved on the new process", async () => {
    const { agent, task, restart } = await taskThenStop("a2a-restart");
    const server = await restart();
    const client = await a2aClient(server.url, agent.token);
    expect(stateOf(await getTask(client, task.id))).toBe("TASK_STATE_WORKING");
    const human = await server.caller({ name: "a2a-restart-human" });
    await human.request("POST", `/api/approvals/${task.metadata?.approvalId}/approve`, {});
    const done = await settledTask(client, task.id);
    expect(stateOf(done)).toBe("TASK_STATE_COMPLETED");
  });

  it("a task whose approval was decided while no server ran is reconciled on start", async () => {
    const { dataDir, config, agent, task, restart } = await taskThenStop("a2a-reconcile");
    // A human decides through the stores alone (as a CLI would): no server hears the bus event.
    const runtime = await openEmbeddedRuntime({
      dataDir,
      patchLogLimit: config.patchLogLimit,
      dashboardSync: config.dashboardSync,
      log: { error() {} },
      approvalPolicy: approvalPolicyFromConfig(config),
      armApprovalTimers: false,
    });
    const ws = await runtime.identity.ensureWorkspace("default");
    const human = await runtime.identity.ensurePrincipal({
      workspace: ws,
      kind: "user",
      name: "offline",
      role: "member",
    });
    await runtime.approvals.reject(human, task.metadata?.approvalId as string, "decided offline");
    await runtime.close();

    const server = await restart();
    const done = await getTask(await a2aClient(server.url, agent.token), task.id);
    expect(stateOf(done)).toBe("TASK_STATE_REJECTED");
    expect(artifactData(done, "decision")).toMatchObject({ status: "rejected", reason: "decided offline" });
  });
});
