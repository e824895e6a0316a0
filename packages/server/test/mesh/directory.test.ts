import { startTestServer, type TestServer } from "@agentboard/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FixtureServer, listen, startSdkAgent } from "./a2a-fixtures.js";

/**
 * The agent directory (issue 16 step 1) through the public surface: cards for local agents, remote agents
 * registered by card URL (a real SDK-based A2A agent), admin edits, and one clear 422 per bad card.
 */
describe("agent directory", () => {
  let server: TestServer;
  let agent: Awaited<ReturnType<typeof startSdkAgent>>;
  let bad: FixtureServer;

  beforeAll(async () => {
    server = await startTestServer({ AGENTBOARD_AGENTS_ALLOW_PRIVATE_NETWORK: "true" });
    agent = await startSdkAgent();
    bad = await listen((req, res) => {
      if (req.url === "/wrong-types") {
        res.setHeader("content-type", "application/json");
        res.end(
          JSON.stringify({ name: 42, description: [], version: "1", supportedInterfaces: "x", skills: {} }),
        );
      } else if (req.url === "/huge") {
        res.setHeader("content-type", "application/json");
        // 5 MB, streamed without a content-length: the cap must stop the read itself.
        res.write('{"name":"');
        for (let i = 0; i < 80; i++) res.write("x".repeat(65_536));
        res.end('"}');
      } else if (req.url === "/metadata") {
        res.statusCode = 302;
        res.setHeader("location", "http://169.254.169.254/latest/meta-data/");
        res.end();
      } else if (req.url === "/v03") {
        res.setHeader("content-type", "application/json");
        res.end(
          JSON.stringify({
            protocolVersion: "0.3.0",
            name: "Legacy agent",
            description: "speaks 0.3",
            url: `http://${req.headers.host}/a2a`,
            preferredTransport: "JSONRPC",
            version: "0.1.0",
            capabilities: {},
            defaultInputModes: ["text/plain"],
            defaultOutputModes: ["text/plain"],
            skills: [{ id: "old", name: "Old skill", description: "d", tags: [] }],
          }),
        );
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
  });
  afterAll(async () => {
    await server?.close();
    await agent?.close();
    await bad?.close();
  });

  it("lists local agents with cards and lets admins rename them; members show the display name", async () => {
    const admin = await server.caller({ name: "ada", role: "admin" });
    const bot = await server.caller({ kind: "agent", name: "deploy-bot" });
    const listed = await admin.request("GET", "/api/agents");
    expect(listed.status).toBe(200);
    const local = listed.body.items.find((item: { id: string }) => item.id === bot.principal.id);
    expect(local).toMatchObject({ kind: "local", name: "deploy-bot", displayName: "deploy-bot", skills: [] });
    // It has never made a request yet.
    expect(local.status).toBe("unknown");

    const member = await server.caller({ name: "mo", role: "member" });
    expect(
      (await member.request("PATCH", `/api/agents/${bot.principal.id}`, { displayName: "X" })).status,
    ).toBe(403);

    const patched = await admin.request("PATCH", `/api/agents/${bot.principal.id}`, {
      displayName: "Deploy Bot",
      role: "release manager",
      aliases: ["deployer"],
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      displayName: "Deploy Bot",
      role: "release manager",
      aliases: ["deployer"],
    });
    // Its own request (the member list) makes it active: healthy by last activity.
    const members = await bot.request("GET", "/api/members");
    expect(members.body.items.find((m: { id: string }) => m.id === bot.principal.id).displayName).toBe(
      "Deploy Bot",
    );
    const again = await admin.request("GET", "/api/agents");
    expect(again.body.items.find((item: { id: string }) => item.id === bot.principal.id).status).toBe(
      "healthy",
    );

    // Local agents are members: removed through /api/members, not here.
    const removal = await admin.request("DELETE", `/api/agents/${bot.principal.id}`);
    expect(removal.status).toBe(422);
  });

  it("registers a real SDK-based A2A agent by its card URL, edits and removes it", async () => {
    const admin = await server.caller({ name: "ada", role: "admin" });
    const member = await server.caller({ name: "mo", role: "member" });
    expect((await member.request("POST", "/api/agents", { cardUrl: agent.cardUrl })).status).toBe(403);

    const created = await admin.request("POST", "/api/agents", { cardUrl: agent.cardUrl });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      kind: "a2a",
      name: "Weather agent",
      displayName: "Weather agent",
      description: "Says what the weather is",
      skills: [{ id: "forecast", name: "Forecast" }],
      cardUrl: agent.cardUrl,
    });
    expect(created.body.id).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/);
    // The same URL twice is refused.
    expect((await admin.request("POST", "/api/agents", { cardUrl: agent.cardUrl })).status).toBe(422);

    const renamed = await admin.request("PATCH", `/api/agents/${created.body.id}`, {
      displayName: "Weather",
    });
    expect(renamed.body.displayName).toBe("Weather");
    expect((await admin.request("DELETE", `/api/agents/${created.body.id}`)).status).toBe(204);
    const after = await admin.request("GET", "/api/agents");
    expect(after.body.items.some((item: { id: string }) => item.id === created.body.id)).toBe(false);
  });

  it("accepts a v0.3 card through the SDK's legacy translation", async () => {
    const admin = await server.caller({ name: "ada", role: "admin" });
    const created = await admin.request("POST", "/api/agents", { cardUrl: `${bad.url}/v03` });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "Legacy agent", skills: [{ id: "old", name: "Old skill" }] });
  });

  it.each([
    ["wrong types", "/wrong-types", /is not valid/],
    ["a 5 MB card", "/huge", /larger than 262144 bytes/],
    ["a redirect to the metadata endpoint", "/metadata", /could not be fetched/],
  ])("refuses %s with one clear error and registers nothing", async (_what, path, message) => {
    const admin = await server.caller({ name: "ada", role: "admin" });
    const before = (await admin.request("GET", "/api/agents")).body.items.length;
    const refused = await admin.request("POST", "/api/agents", { cardUrl: `${bad.url}${path}` });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toBe("invalid");
    expect(refused.body.message).toMatch(message);
    expect((await admin.request("GET", "/api/agents")).body.items.length).toBe(before);
  });

  it("refuses an unreachable URL and a metadata URL given directly", async () => {
    const admin = await server.caller({ name: "ada", role: "admin" });
    const closed = await listen(() => {});
    await closed.close();
    const unreachable = await admin.request("POST", "/api/agents", { cardUrl: `${closed.url}/card.json` });
    expect(unreachable.status).toBe(422);
    expect(unreachable.body.message).toMatch(/could not be fetched.*ECONNREFUSED/);
    const metadata = await admin.request("POST", "/api/agents", {
      cardUrl: "http://169.254.169.254/card.json",
    });
    expect(metadata.status).toBe(422);
    expect(metadata.body.message).toMatch(/metadata|169\.254\.169\.254/);
  });
});
