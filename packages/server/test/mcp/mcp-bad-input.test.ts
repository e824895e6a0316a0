import { request as httpRequest } from "node:http";
import { type Caller, callersForSuite, startTestServer } from "@agentboard/test-support";
import { describe, expect, it } from "vitest";
import { connectV1, connectV2Modern, noteWidget } from "./mcp-clients.js";

const t = callersForSuite({
  alice: { name: "alice", role: "member" },
  bob: { name: "bob", role: "member" },
});

const initialize = {
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
};

/**
 * A raw POST to /mcp over node:http (fetch does not let a caller choose the Host header, and the SDK
 * clients would refuse to send some of these).
 */
function post(
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const data = typeof body === "string" ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${t.server.url}/mcp`,
      {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          "content-length": Buffer.byteLength(data),
          ...headers,
        },
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const out = new Headers();
          for (const [name, value] of Object.entries(res.headers))
            if (typeof value === "string") out.set(name, value);
          resolve({ status: res.statusCode ?? 0, headers: out, text: Buffer.concat(chunks).toString() });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("POST /mcp timed out")));
    req.on("error", reject);
    req.end(data);
  });
}

async function revOf(caller: Caller): Promise<number> {
  return (await caller.request("GET", "/api/dashboards/me/state")).body.rev;
}

describe("/mcp refuses what it must", () => {
  it("without a valid bearer token: 401 with WWW-Authenticate: Bearer", async () => {
    const none = await post(initialize);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const bad = await post(initialize, { authorization: "Bearer ab_not_a_token" });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("www-authenticate")).toMatch(/^Bearer .*invalid_token/);
    // A session cookie is not an MCP credential.
    const cookie = await post(initialize, { cookie: `agentboard_session=${t.alice.token}` });
    expect(cookie.status).toBe(401);
  });

  it("a foreign Host or Origin (DNS rebinding): 403 before anything is served", async () => {
    const auth = { authorization: `Bearer ${t.alice.token}` };
    const port = new URL(t.server.url).port;
    expect((await post(initialize, { ...auth, host: "evil.example.com" })).status).toBe(403);
    expect((await post(initialize, { ...auth, host: `evil.example.com:${port}` })).status).toBe(403);
    // The right name on another port is someone else's server.
    expect((await post(initialize, { ...auth, host: "127.0.0.1:1" })).status).toBe(403);
    expect((await post(initialize, { ...auth, origin: "http://evil.example.com" })).status).toBe(403);
    expect((await post(initialize, { ...auth, origin: `http://localhost:${Number(port) + 1}` })).status).toBe(
      403,
    );
    // The app's own origin and the loopback names with this port are served.
    expect((await post(initialize, { ...auth, origin: t.server.url })).status).toBe(200);
    expect((await post(initialize, { ...auth, host: `localhost:${port}` })).status).toBe(200);
  });

  it("an unknown tool is a JSON-RPC error; schema-invalid arguments an isError result; nothing written", async () => {
    const { client } = await connectV1(t.server.url, t.alice.token);
    try {
      const before = await revOf(t.alice);
      await expect(client.callTool({ name: "no_such_tool", arguments: {} })).rejects.toMatchObject({
        code: -32602,
      });
      const invalid = await client.callTool({
        name: "render_widget",
        arguments: { widget: { id: "w1", type: "chart", title: "x", props: { kind: "pie", series: "no" } } },
      });
      expect(invalid.isError).toBe(true);
      const body = JSON.parse((invalid.content as Array<{ text: string }>)[0]!.text);
      expect(body.error).toBe("invalid");
      expect(body.details.issues.length).toBeGreaterThan(0);
      const forbiddenPath = await client.callTool({
        name: "patch_dashboard",
        arguments: { baseRev: before, ops: [{ op: "add", path: "/__proto__/x", value: 1 }] },
      });
      expect(forbiddenPath.isError).toBe(true);
      expect(await revOf(t.alice)).toBe(before);
    } finally {
      await client.close();
    }
  });

  it("2 MiB of arguments: 413 payload_too_large, nothing written", async () => {
    const { client, transport } = await connectV1(t.server.url, t.alice.token);
    try {
      const before = await revOf(t.alice);
      const huge = "x".repeat(2 * 1024 * 1024);
      const raw = await post(
        {
          jsonrpc: "2.0",
          id: 7,
          method: "tools/call",
          params: { name: "render_widget", arguments: { widget: noteWidget("big", huge) } },
        },
        {
          authorization: `Bearer ${t.alice.token}`,
          "mcp-session-id": transport.sessionId!,
          "mcp-protocol-version": "2025-11-25",
        },
      );
      expect(raw.status).toBe(413);
      expect(JSON.parse(raw.text).error).toBe("payload_too_large");
      // Through the client, too: a clear error, and the session still works.
      await expect(
        client.callTool({ name: "render_widget", arguments: { widget: noteWidget("big", huge) } }),
      ).rejects.toThrow(/payload_too_large/);
      expect(await revOf(t.alice)).toBe(before);
      await client.callTool({ name: "read_dashboard", arguments: {} });
    } finally {
      await client.close();
    }
  });

  it("a session id opened by another principal is never served (404, like an unknown id); nothing written", async () => {
    const { client, transport } = await connectV1(t.server.url, t.alice.token);
    try {
      const sessionId = transport.sessionId!;
      const bobBefore = await revOf(t.bob);
      const aliceBefore = await revOf(t.alice);
      const call = {
        jsonrpc: "2.0",
        id: 9,
        method: "tools/call",
        params: { name: "render_widget", arguments: { widget: noteWidget("hijack", "mine now") } },
      };
      const headers = { "mcp-session-id": sessionId, "mcp-protocol-version": "2025-11-25" };
      const asBob = await post(call, { ...headers, authorization: `Bearer ${t.bob.token}` });
      const unknown = await post(call, {
        ...headers,
        "mcp-session-id": "00000000-0000-4000-8000-000000000000",
        authorization: `Bearer ${t.bob.token}`,
      });
      expect(asBob.status).toBe(404);
      expect(unknown.status).toBe(404);
      expect(asBob.text).toBe(unknown.text);
      // Nor its notification stream, nor ending it.
      const get = await fetch(`${t.server.url}/mcp`, {
        headers: { ...headers, accept: "text/event-stream", authorization: `Bearer ${t.bob.token}` },
      });
      expect(get.status).toBe(404);
      await get.body?.cancel();
      const del = await fetch(`${t.server.url}/mcp`, {
        method: "DELETE",
        headers: { ...headers, authorization: `Bearer ${t.bob.token}` },
      });
      expect(del.status).toBe(404);
      expect(await revOf(t.bob)).toBe(bobBefore);
      expect(await revOf(t.alice)).toBe(aliceBefore);
      // Alice's session is untouched.
      const mine = await client.callTool({ name: "read_dashboard", arguments: {} });
      expect(mine.isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });

  it("revoking the token that opened a session ends the session", async () => {
    const carol = await t.server.caller({ name: "carol", role: "member" });
    const { client, transport } = await connectV1(t.server.url, carol.token);
    const closed = new Promise<void>((resolve) => {
      client.onclose = () => resolve();
    });
    try {
      const sessionId = transport.sessionId!;
      const tokens = await carol.request("GET", "/api/tokens");
      const mine = tokens.body.items.find(
        (t: { principalId: string }) => t.principalId === carol.principal.id,
      );
      const sessionsBefore = await sessionCount();
      expect((await carol.request("DELETE", `/api/tokens/${mine.id}`)).status).toBe(204);
      // The session is gone on the server: a fresh token of carol's gets 404 for the old id.
      const again = await t.server.caller({ name: "carol", role: "member" });
      const reuse = await post(
        { jsonrpc: "2.0", id: 3, method: "tools/list" },
        {
          authorization: `Bearer ${again.token}`,
          "mcp-session-id": sessionId,
          "mcp-protocol-version": "2025-11-25",
        },
      );
      expect(reuse.status).toBe(404);
      expect(await sessionCount()).toBe(sessionsBefore - 1);
      // And the revoked token itself is refused.
      await expect(client.callTool({ name: "read_dashboard", arguments: {} })).rejects.toThrow();
    } finally {
      await client.close();
      await closed;
    }
  });
});

describe("/mcp never crosses principals or workspaces", () => {
  it("another workspace's dashboard is not found; another user's personal one is forbidden; nothing written", async () => {
    const outsider = await t.server.caller({ kind: "agent", name: "outsider", workspace: "other-ws" });
    const { client } = await connectV1(t.server.url, outsider.token);
    try {
      const before = await revOf(t.alice);
      const read = await client.callTool({
        name: "read_dashboard",
        arguments: { dashboardId: `user:${t.alice.principal.id}` },
      });
      expect(read.isError).toBe(true);
      expect(JSON.parse((read.content as Array<{ text: string }>)[0]!.text).error).toBe("not_found");
      const write = await client.callTool({
        name: "render_widget",
        arguments: { dashboardId: `user:${t.alice.principal.id}`, widget: noteWidget("x", "intruder") },
      });
      expect(write.isError).toBe(true);
      expect(await revOf(t.alice)).toBe(before);
    } finally {
      await client.close();
    }
    const { client: asBob } = await connectV1(t.server.url, t.bob.token);
    try {
      const denied = await asBob.callTool({
        name: "render_widget",
        arguments: { dashboardId: `user:${t.alice.principal.id}`, widget: noteWidget("x", "not yours") },
      });
      expect(JSON.parse((denied.content as Array<{ text: string }>)[0]!.text).error).toBe("forbidden");
    } finally {
      await asBob.close();
    }
  });

  it("a 2026-07-28 listen stream hears only of dashboards its principal may read", async () => {
    const client = await connectV2Modern(t.server.url, t.bob.token);
    try {
      const heard: string[] = [];
      let notify: () => void = () => {};
      const first = new Promise<void>((resolve) => {
        notify = resolve;
      });
      client.setNotificationHandler("notifications/resources/updated", (n) => {
        heard.push(n.params.uri);
        notify();
      });
      const subscription = await client.listen({
        resourceSubscriptions: [
          `agentboard://dashboards/user:${t.alice.principal.id}`,
          "agentboard://dashboards/me",
        ],
      });
      // Alice's change first, then bob's own: the first (and only) notification bob gets is his own.
      await t.alice.request("PUT", "/api/dashboards/me/widgets/secret", noteWidget("secret", "alice only"));
      await t.bob.request("PUT", "/api/dashboards/me/widgets/own", noteWidget("own", "bob's"));
      await first;
      expect(heard).toEqual(["agentboard://dashboards/me"]);
      await subscription.close();
    } finally {
      await client.close();
    }
  });

  it("revoking the token ends its open 2026-07-28 streams", async () => {
    const dave = await t.server.caller({ name: "dave", role: "member" });
    const client = await connectV2Modern(t.server.url, dave.token);
    try {
      const subscription = await client.listen({ resourceSubscriptions: ["agentboard://dashboards/me"] });
      const tokens = await dave.request("GET", "/api/tokens");
      const mine = tokens.body.items.find(
        (t: { principalId: string }) => t.principalId === dave.principal.id,
      );
      expect((await dave.request("DELETE", `/api/tokens/${mine.id}`)).status).toBe(204);
      // The stream ends from the server's side (not by this client): 'remote' or 'graceful'.
      expect(await subscription.closed).not.toBe("local");
    } finally {
      await client.close();
    }
  });
});

async function sessionCount(): Promise<number> {
  const metrics = await t.server.raw("GET", "/metrics");
  const line = String(metrics.body)
    .split("\n")
    .find((l) => l.startsWith("agentboard_mcp_sessions "));
  return Number(line?.split(" ")[1]);
}

describe("/mcp rate limit", () => {
  it("is per principal and shared with /api: 429 for the busy one, the other keeps going", async () => {
    const limited = await startTestServer({ AGENTBOARD_RATE_LIMIT_PER_MINUTE: "5" });
    try {
      const busy = await limited.caller({ name: "busy", role: "member" });
      const calm = await limited.caller({ name: "calm", role: "member" });
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const response = await fetch(`${limited.url}/mcp`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            authorization: `Bearer ${busy.token}`,
          },
          body: JSON.stringify(initialize),
        });
        statuses.push(response.status);
        await response.body?.cancel();
      }
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses[5]).toBe(429);
      expect((await busy.request("GET", "/api/me")).status).toBe(429);
      expect((await calm.request("GET", "/api/me")).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
