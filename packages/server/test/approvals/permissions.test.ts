import {
  castEachTest,
  createApproval,
  deployRequest,
  describeEachMode,
  expectApiError,
} from "@agentboard/test-support";
import { describe, expect, it } from "vitest";

describeEachMode("approvals permissions", (mode) => {
  const cast = castEachTest(() => mode.startTestServer());

  /** A refused request must leave the approval exactly as it was: still pending, one audit row. */
  async function expectUnchanged(id: string) {
    const current = await cast.alice.request("GET", `/api/approvals/${id}`);
    expect(current.body).toMatchObject({ status: "pending", version: 1 });
    expect((await cast.alice.request("GET", `/api/approvals/${id}/events`)).body).toHaveLength(1);
  }

  describe("who may decide", () => {
    it("the requester can never approve or reject its own request, whatever its role", async () => {
      const owner = await cast.server.caller({ name: "olga", role: "owner" });
      const own = await createApproval(owner);
      for (const decision of ["approve", "reject"]) {
        const answer = await owner.request("POST", `/api/approvals/${own.id}/${decision}`);
        expect(expectApiError(answer, 403, "forbidden").message).toMatch(/requester/);
      }
      await expectUnchanged(own.id);
      // …but may withdraw it.
      expect((await owner.request("DELETE", `/api/approvals/${own.id}`)).body.status).toBe("cancelled");
    });

    it("viewers and agents decide nothing", async () => {
      const approval = await createApproval(cast.agent);
      const byUser = await createApproval(cast.bob);
      const attempts: Array<[typeof cast.agent, string, number]> = [
        [cast.viewer, approval.id, 403],
        [cast.viewer, byUser.id, 403],
        [cast.agent, approval.id, 403], // the requester, which is also an agent
        [cast.agent, byUser.id, 404], // an agent does not even see a human's request
      ];
      for (const [caller, id, status] of attempts) {
        for (const decision of ["approve", "reject"]) {
          const answer = await caller.request("POST", `/api/approvals/${id}/${decision}`);
          expectApiError(answer, status, status === 403 ? "forbidden" : "not_found");
        }
      }
      expectApiError(await cast.viewer.request("DELETE", `/api/approvals/${approval.id}`), 403, "forbidden");
      await expectUnchanged(approval.id);
      await expectUnchanged(byUser.id);
      // Reading is open to every user of the workspace (the inbox), viewers included.
      expect((await cast.viewer.request("GET", `/api/approvals/${approval.id}`)).status).toBe(200);
    });

    it("an agent sees only its own requests: others' are not_found on every route", async () => {
      const mine = await createApproval(cast.agent);
      const otherAgent = await cast.server.caller({ kind: "agent", name: "helper" });
      const theirs = await createApproval(otherAgent);
      const human = await createApproval(cast.alice);
      expect(
        (await cast.agent.request("GET", "/api/approvals")).body.items.map((a: { id: string }) => a.id),
      ).toEqual([mine.id]);
      for (const id of [theirs.id, human.id]) {
        for (const [method, path] of [
          ["GET", `/api/approvals/${id}`],
          ["GET", `/api/approvals/${id}/wait?timeoutMs=0`],
          ["GET", `/api/approvals/${id}/events`],
          ["DELETE", `/api/approvals/${id}`],
        ] as const) {
          expectApiError(await cast.agent.request(method, path), 404, "not_found");
        }
      }
      await expectUnchanged(theirs.id);
      expect((await cast.alice.request("GET", "/api/approvals")).body.items).toHaveLength(3);
    });

    it("only the requester or an admin/owner may cancel", async () => {
      const approval = await createApproval(cast.agent);
      for (const caller of [cast.alice, cast.bob]) {
        expectApiError(await caller.request("DELETE", `/api/approvals/${approval.id}`), 403, "forbidden");
      }
      await expectUnchanged(approval.id);
      const byAdmin = await cast.admin.request("DELETE", `/api/approvals/${approval.id}`, {
        reason: "obsolete",
      });
      expect(byAdmin.body).toMatchObject({ status: "cancelled", decidedBy: { id: cast.admin.principal.id } });
    });

    it("who may ask: agents need the approvals:request scope, viewers may not", async () => {
      const scopeless = await cast.server.caller({
        kind: "agent",
        name: "reader",
        scopes: ["dashboards:write"],
      });
      expectApiError(await scopeless.request("POST", "/api/approvals", deployRequest()), 403, "forbidden");
      expectApiError(await cast.viewer.request("POST", "/api/approvals", deployRequest()), 403, "forbidden");
      expect((await cast.alice.request("POST", "/api/approvals", deployRequest())).status).toBe(201);
      expect((await cast.alice.request("GET", "/api/approvals")).body.items).toHaveLength(1);
    });

    it("requires authentication", async () => {
      expectApiError(await cast.server.raw("GET", "/api/approvals"), 401, "unauthorized");
      expectApiError(
        await cast.server.raw("POST", "/api/approvals", {
          headers: { "content-type": "application/json" },
          body: JSON.stringify(deployRequest()),
        }),
        401,
        "unauthorized",
      );
    });
  });

  describe("workspace isolation", () => {
    it("another workspace's approval is not_found on every route, and nothing changes", async () => {
      const approval = await createApproval(cast.agent);
      const base = `/api/approvals/${approval.id}`;
      const calls: Array<[string, string, unknown?]> = [
        ["GET", base],
        ["POST", `${base}/approve`, {}],
        ["POST", `${base}/reject`, {}],
        ["DELETE", base, {}],
        ["GET", `${base}/wait?timeoutMs=0`],
        ["GET", `${base}/events`],
      ];
      for (const [method, path, body] of calls) {
        expectApiError(await cast.outsider.request(method, path, body), 404, "not_found");
      }
      const bulk = await cast.outsider.request("POST", "/api/approvals/bulk", {
        ids: [approval.id],
        decision: "approve",
      });
      expect(bulk.body.results).toMatchObject([
        { id: approval.id, ok: false, error: { error: "not_found" } },
      ]);
      await expectUnchanged(approval.id);
    });
  });

  describe("bad input never changes stored data", () => {
    it.each([
      ["an unknown field", { status: "approved" }],
      ["a missing title", { title: undefined }],
      ["an uppercase type", { type: "Deploy" }],
      ["confidence 150", { confidence: 150 }],
      ["an expiry of 0 s", { expiresInSec: 0 }],
      ["args over 32 KiB", { action: { tool: "t", args: { blob: "x".repeat(33_000) } } }],
      ["a description over 4,000 characters", { description: "d".repeat(4_001) }],
    ])("%s → 422", async (_name, change) => {
      const answer = await cast.agent.request("POST", "/api/approvals", { ...deployRequest(), ...change });
      expectApiError(answer, 422, "invalid");
      expect((await cast.alice.request("GET", "/api/approvals")).body.items).toEqual([]);
    });

    it("refuses prototype keys anywhere in the arguments", async () => {
      for (const args of ['{"__proto__":{"admin":true}}', '{"a":[{"constructor":{"prototype":1}}]}']) {
        const answer = await cast.server.raw("POST", "/api/approvals", {
          headers: { authorization: `Bearer ${cast.agent.token}`, "content-type": "application/json" },
          body: `{"type":"deploy","title":"t","action":{"tool":"x","args":${args}}}`,
        });
        expectApiError(answer, 422, "invalid");
      }
      expect((await cast.alice.request("GET", "/api/approvals")).body.items).toEqual([]);
    });

    it("refuses a long reason and leaves the approval pending", async () => {
      const approval = await createApproval(cast.agent);
      expectApiError(
        await cast.alice.request("POST", `/api/approvals/${approval.id}/approve`, {
          reason: "r".repeat(1_001),
        }),
        422,
        "invalid",
      );
      expectApiError(
        await cast.alice.request("POST", `/api/approvals/${approval.id}/approve`, { reason: "ok", extra: 1 }),
        422,
        "invalid",
      );
      await expectUnchanged(approval.id);
    });
  });
});
