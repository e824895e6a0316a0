import { startTestServer, type TestServer } from "@agentboard/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runInput } from "./agui-helpers.js";

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => server?.close());

describe("AG-UI with the session cookie: a resume decides approvals, so it is a write", () => {
  it("is refused without the app's own Origin or as a form post, and nothing is decided", async () => {
    const alice = await server.caller({ name: "alice" });
    const bot = await server.caller({ kind: "agent", name: "bot" });
    const approval = (
      await bot.request("POST", "/api/approvals", {
        type: "deploy",
        title: "Deploy",
        action: { tool: "deploy" },
      })
    ).body as { id: string };
    const { secret } = await server.runtime.identity.issueSecret(alice.principal, "session");
    const body = JSON.stringify(
      runInput({
        resume: [{ interruptId: approval.id, status: "resolved", payload: { decision: "approve" } }],
      }),
    );
    const attempts: Array<[string, Record<string, string>, number]> = [
      ["no Origin", { "content-type": "application/json" }, 403],
      ["another site", { "content-type": "application/json", origin: "https://evil.example" }, 403],
      ["a null Origin (sandboxed frame)", { "content-type": "application/json", origin: "null" }, 403],
      // A cross-site form can only send simple content types; from our own origin such a body is still refused.
      ["a form-encodable body", { "content-type": "text/plain", origin: server.url }, 415],
    ];
    for (const [label, headers, status] of attempts) {
      const response = await fetch(`${server.url}/api/agui/me`, {
        method: "POST",
        headers: { ...headers, cookie: `agentboard_session=${secret}` },
        body,
      });
      expect(response.status, label).toBe(status);
      await response.body?.cancel();
    }
    expect((await alice.request("GET", `/api/approvals/${approval.id}`)).body.status).toBe("pending");
  });
});
