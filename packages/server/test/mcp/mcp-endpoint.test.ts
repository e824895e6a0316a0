import type { Approval } from "@agentboard/protocol";
import { callersForSuite, closedAfterTest } from "@agentboard/test-support";
import { describe, expect, it } from "vitest";
import { connectV1, connectV2Legacy, connectV2Modern, noteWidget } from "./mcp-clients.js";

const t = callersForSuite({
  alice: { name: "alice", role: "member" },
  owner: { name: "olga", role: "owner" },
  agent: { kind: "agent", name: "bot" },
});

/** Resolves with the first approval event matching `predicate` (event-driven, with a deadline). */
function nextApprovalEvent(predicate: (event: string, approval: Approval) => boolean, timeoutMs = 20_000) {
  return new Promise<Approval>((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error("no such approval event in time"));
    }, timeoutMs);
    const stop = t.server.runtime.approvals.onEvent(({ event, approval }) => {
      if (!predicate(event, approval)) return;
      clearTimeout(timer);
      stop();
      resolve(approval);
    });
  });
}

/** The contract's error body `{error, message, details?}` that an isError result carries as JSON text. */
const errorOf = (result: any) => JSON.parse(result.content[0].text);
const structured = (result: unknown) => (result as { structuredContent: any }).structuredContent;

type AnyClient = {
  listTools(): Promise<{
    tools: Array<{ name: string; annotations?: any; inputSchema: any; outputSchema?: any }>;
  }>;
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<any>;
  close(): Promise<void>;
};

async function driveEveryTool(client: AnyClient, label: string) {
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  expect(names).toEqual(
    expect.arrayContaining([
      "render_widget",
      "remove_widget",
      "read_dashboard",
      "patch_dashboard",
      "request_approval",
      "get_approval",
    ]),
  );
  const byName: Record<string, any> = Object.fromEntries(tools.map((t) => [t.name, t]));
  expect(byName.read_dashboard.annotations).toMatchObject({ readOnlyHint: true });
  expect(byName.get_approval.annotations).toMatchObject({ readOnlyHint: true });
  expect(byName.request_approval.annotations).toMatchObject({ destructiveHint: false });
  expect(byName.render_widget.outputSchema?.type).toBe("object");
  // Users may leave dashboardId out (it is "me").
  expect(byName.render_widget.inputSchema.required).toEqual(["widget"]);

  const widgetId = `w-${label}`;
  const rendered = await client.callTool({
    name: "render_widget",
    arguments: { widget: noteWidget(widgetId, `hello from ${label}`) },
  });
  expect(rendered.isError).toBeFalsy();
  expect(structured(rendered).widget).toMatchObject({
    id: widgetId,
    updatedBy: `user:${t.alice.principal.id}`,
  });

  const read = await client.callTool({ name: "read_dashboard", arguments: {} });
  const { rev, state } = structured(read);
  expect(state.widgets[widgetId].props.markdown).toBe(`hello from ${label}`);
  // The write went through the one write path: REST sees it too.
  const rest = await t.alice.request("GET", "/api/dashboards/me/state");
  expect(rest.body.rev).toBe(rev);

  const patched = await client.callTool({
    name: "patch_dashboard",
    arguments: {
      baseRev: rev,
      ops: [{ op: "replace", path: `/widgets/${widgetId}/title`, value: "Patched" }],
    },
  });
  expect(structured(patched).rev).toBe(rev + 1);

  const removed = await client.callTool({ name: "remove_widget", arguments: { widgetId } });
  expect(structured(removed).rev).toBe(rev + 2);

  const requested = await client.callTool({
    name: "request_approval",
    arguments: { type: "deploy", title: `Deploy ${label}`, wait: false },
  });
  const pending = structured(requested).approval;
  expect(pending.status).toBe("pending");
  const got = await client.callTool({ name: "get_approval", arguments: { id: pending.id } });
  expect(structured(got).approval.id).toBe(pending.id);

  // Blocking by default: returns once a human decided.
  const created = nextApprovalEvent((e, a) => e === "created" && a.title === `Ship ${label}`);
  const waiting = client.callTool({
    name: "request_approval",
    arguments: { type: "deploy", title: `Ship ${label}` },
  });
  const approval = await created;
  const approved = await t.owner.request("POST", `/api/approvals/${approval.id}/approve`, { reason: "ok" });
  expect(approved.status).toBe(200);
  const decided = await waiting;
  expect(decided.isError).toBeFalsy();
  expect(structured(decided).approval).toMatchObject({ id: approval.id, status: "approved", reason: "ok" });

  // A rejection is a decided approval (not a tool failure): the result says so.
  const created2 = nextApprovalEvent((e, a) => e === "created" && a.title === `Drop ${label}`);
  const waiting2 = client.callTool({
    name: "request_approval",
    arguments: { type: "deploy", title: `Drop ${label}` },
  });
  const approval2 = await created2;
  await t.owner.request("POST", `/api/approvals/${approval2.id}/reject`, { reason: "no" });
  const rejected = await waiting2;
  expect(rejected.isError).toBeFalsy();
  expect(structured(rejected).approval).toMatchObject({ status: "rejected", reason: "no" });
  expect(rejected.content[0].text).toContain("rejected");
}

describe("/mcp drives every tool", () => {
  /** The v2 client once connected, checked to speak the protocol era the test is about. */
  const inEra = async <C extends { getProtocolEra(): string | undefined }>(
    connecting: Promise<C>,
    era: string,
  ) => {
    const client = await connecting;
    expect(client.getProtocolEra()).toBe(era);
    return client;
  };
  const clients = [
    {
      name: "the v2 client on 2026-07-28",
      tag: "v2modern",
      open: () => inEra(connectV2Modern(t.server.url, t.alice.token), "modern"),
    },
    {
      name: "the v2 client on the 2025 handshake",
      tag: "v2legacy",
      open: () => inEra(connectV2Legacy(t.server.url, t.alice.token), "legacy"),
    },
    {
      name: "the v1 client (@modelcontextprotocol/sdk)",
      tag: "v1",
      open: async () => (await connectV1(t.server.url, t.alice.token)).client,
    },
  ];
  it.each(clients.map((c) => [c.name, c] as const))("with %s", async (_name, { tag, open }) => {
    const client = await open();
    try {
      await driveEveryTool(client as unknown as AnyClient, tag);
    } finally {
      await client.close();
    }
  });

  it("answers each 2025 revision a client asks for (2025-06-18, 2025-11-25) in its own session", async () => {
    for (const version of ["2025-06-18", "2025-11-25"]) {
      const response = await fetch(`${t.server.url}/mcp`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          authorization: `Bearer ${t.alice.token}`,
        },
        body: JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          method: "initialize",
          params: { protocolVersion: version, capabilities: {}, clientInfo: { name: "raw", version: "1" } },
        }),
      });
      expect(response.status).toBe(200);
      expect(response.headers.get("mcp-session-id")).toBeTruthy();
      const text = await response.text();
      const json = JSON.parse(text.startsWith("{") ? text : /^data: (.*)$/m.exec(text)![1]!);
      expect(json.result.protocolVersion).toBe(version);
      expect(json.result.capabilities).toMatchObject({ tools: {}, resources: { subscribe: true } });
    }
  });

  it("agents must name the dashboard; their widgets are attributed to them", async () => {
    const client = await closedAfterTest(
      connectV1(t.server.url, t.agent.token).then((connected) => connected.client),
    );
    const { tools } = await client.listTools();
    const render = tools.find((t) => t.name === "render_widget");
    expect(render?.inputSchema.required).toEqual(expect.arrayContaining(["dashboardId", "widget"]));
    const missing = await client.callTool({
      name: "render_widget",
      arguments: { widget: noteWidget("agent-w", "x") },
    });
    expect(missing.isError).toBe(true);
    expect(errorOf(missing).error).toBe("invalid");
    const drawn = await client.callTool({
      name: "render_widget",
      arguments: {
        dashboardId: `user:${t.alice.principal.id}`,
        widget: noteWidget("agent-w", "by the bot"),
      },
    });
    expect(structured(drawn).widget.updatedBy).toBe(`agent:${t.agent.principal.id}`);
  });
});

describe("/mcp waiting and cancelling", () => {
  it("a blocking request_approval sends progress while it waits (resetTimeoutOnProgress keeps the client waiting)", async () => {
    const client = await closedAfterTest(
      connectV1(t.server.url, t.alice.token).then((connected) => connected.client),
    );
    const created = nextApprovalEvent((e, a) => e === "created" && a.title === "Progress please");
    const progress: number[] = [];
    let approve: Promise<unknown> | undefined;
    const call = client.callTool(
      { name: "request_approval", arguments: { type: "deploy", title: "Progress please" } },
      undefined,
      {
        timeout: 20_000,
        resetTimeoutOnProgress: true,
        onprogress: (p) => {
          progress.push(p.progress);
          // Decide only once the first progress notification arrived: the wait outlived one interval.
          approve ??= created.then((a) => t.owner.request("POST", `/api/approvals/${a.id}/approve`, {}));
        },
      },
    );
    const result = await call;
    await approve;
    expect(progress.length).toBeGreaterThanOrEqual(1);
    expect(structured(result).approval.status).toBe("approved");
  }, 40_000);

  it("cancelling the MCP request ends the wait and leaves the approval pending", async () => {
    const client = await closedAfterTest(
      connectV1(t.server.url, t.alice.token).then((connected) => connected.client),
    );
    const waitersBefore = t.server.runtime.approvals.waiters.size;
    const created = nextApprovalEvent((e, a) => e === "created" && a.title === "Cancel me");
    const controller = new AbortController();
    const call = client.callTool(
      { name: "request_approval", arguments: { type: "deploy", title: "Cancel me" } },
      undefined,
      {
        signal: controller.signal,
      },
    );
    const approval = await created;
    // The server is waiting on it now (a waiter registered) — then the client cancels.
    await waitUntil(() => t.server.runtime.approvals.waiters.size > waitersBefore);
    controller.abort("changed my mind");
    await expect(call).rejects.toThrow();
    await waitUntil(() => t.server.runtime.approvals.waiters.size === waitersBefore);
    const now = await t.alice.request("GET", `/api/approvals/${approval.id}`);
    expect(now.body.status).toBe("pending");
  });

  it("on 2026-07-28 too: closing the request's stream ends the wait; the approval stays pending", async () => {
    const client = await closedAfterTest(connectV2Modern(t.server.url, t.alice.token));
    const waitersBefore = t.server.runtime.approvals.waiters.size;
    const created = nextApprovalEvent((e, a) => e === "created" && a.title === "Cancel me (modern)");
    const controller = new AbortController();
    const call = client.callTool(
      { name: "request_approval", arguments: { type: "deploy", title: "Cancel me (modern)" } },
      { signal: controller.signal },
    );
    const approval = await created;
    await waitUntil(() => t.server.runtime.approvals.waiters.size > waitersBefore);
    controller.abort("changed my mind");
    await expect(call).rejects.toThrow();
    await waitUntil(() => t.server.runtime.approvals.waiters.size === waitersBefore);
    expect((await t.alice.request("GET", `/api/approvals/${approval.id}`)).body.status).toBe("pending");
  });
});

describe("/mcp dashboard resource", () => {
  it("reads and, on the 2025 revision, notifies subscribers of each change", async () => {
    const client = await closedAfterTest(
      connectV1(t.server.url, t.alice.token).then((connected) => connected.client),
    );
    const { resources } = await client.listResources();
    expect(resources.map((r) => r.uri)).toContain(`agentboard://dashboards/user:${t.alice.principal.id}`);
    const read = await client.readResource({ uri: "agentboard://dashboards/me" });
    const content = read.contents[0] as { text: string; mimeType?: string };
    const doc = JSON.parse(content.text);
    expect(content.mimeType).toBe("application/json");
    expect(doc).toHaveProperty("rev");

    const updated: string[] = [];
    const { ResourceUpdatedNotificationSchema } = await import("@modelcontextprotocol/sdk/types.js");
    let notified: () => void = () => {};
    const gotOne = new Promise<void>((resolve) => {
      notified = resolve;
    });
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      updated.push(n.params.uri);
      notified();
    });
    await client.subscribeResource({ uri: "agentboard://dashboards/me" });
    // A change through another path (REST) reaches the subscriber.
    await t.alice.request("PUT", "/api/dashboards/me/widgets/sub-w", noteWidget("sub-w", "changed"));
    await withDeadline(gotOne, 10_000, "no notifications/resources/updated");
    expect(updated).toContain("agentboard://dashboards/me");

    // Someone else's personal dashboard is neither readable nor subscribable.
    await expect(
      client.readResource({ uri: `agentboard://dashboards/user:${t.owner.principal.id}` }),
    ).rejects.toThrow(/another user/);
    await expect(
      client.subscribeResource({ uri: `agentboard://dashboards/user:${t.owner.principal.id}` }),
    ).rejects.toThrow(/another user/);
  });

  it("on 2026-07-28, a subscriptions/listen stream gets resources/updated", async () => {
    const client = await closedAfterTest(connectV2Modern(t.server.url, t.alice.token));
    let notified: (uri: string) => void = () => {};
    const gotOne = new Promise<string>((resolve) => {
      notified = resolve;
    });
    client.setNotificationHandler("notifications/resources/updated", (n) => notified(n.params.uri));
    const subscription = await client.listen({ resourceSubscriptions: ["agentboard://dashboards/me"] });
    await t.alice.request("PUT", "/api/dashboards/me/widgets/listen-w", noteWidget("listen-w", "changed"));
    expect(await withDeadline(gotOne, 10_000, "no update on the listen stream")).toBe(
      "agentboard://dashboards/me",
    );
    await subscription.close();
  });
});

async function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Re-checks `predicate` after each turn of the event loop until it holds (deadline 10 s). */
async function waitUntil(predicate: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("condition not reached in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
