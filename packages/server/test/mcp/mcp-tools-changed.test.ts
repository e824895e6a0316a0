import { describe, expect, it } from "vitest";
import { FIXTURE, upstreamForSuite } from "./gateway-helpers.js";
import { connectV2Legacy, connectV2Modern } from "./mcp-clients.js";

/** A queue of notifications: `next()` resolves with the next one, or rejects after a deadline. */
function notifications() {
  const queued: string[] = [];
  const waiting: Array<(method: string) => void> = [];
  return {
    push(method: string) {
      const take = waiting.shift();
      if (take) take(method);
      else queued.push(method);
    },
    next(ms = 15_000): Promise<string> {
      const ready = queued.shift();
      if (ready !== undefined) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no notification within ${ms} ms`)), ms);
        waiting.push((method) => {
          clearTimeout(timer);
          resolve(method);
        });
      });
    },
  };
}

/** Gateway tools that appear or go away reach /mcp clients as notifications/tools/list_changed. */
describe("/mcp tells clients when the gateway's tools change", () => {
  const t = upstreamForSuite("fixture", FIXTURE);

  it("an upstream that dies and comes back: list_changed on 2025 sessions and 2026-07-28 listen streams", async () => {
    const session = await connectV2Legacy(t.server.url, t.user.token);
    const modern = await connectV2Modern(t.server.url, t.user.token);
    try {
      expect(session.getServerCapabilities()?.tools?.listChanged).toBe(true);
      const onSession = notifications();
      const onListen = notifications();
      session.setNotificationHandler("notifications/tools/list_changed", (n) => onSession.push(n.method));
      modern.setNotificationHandler("notifications/tools/list_changed", (n) => onListen.push(n.method));
      const subscription = await modern.listen({ toolsListChanged: true });
      // The 2025 session's notification stream (GET /mcp) is open once a ping went round after it.
      await session.ping();

      const names = async () => (await session.listTools()).tools.map((tool) => tool.name);
      expect(await names()).toContain("fixture__echo");
      const pid = t.server.app.mcpGateway.servers().find((s) => s.name === "fixture")?.pid;
      expect(pid).toBeGreaterThan(0);
      process.kill(pid!, "SIGKILL");

      // Gone: both are told, and the list no longer has the fixture's tools.
      expect(await onSession.next()).toBe("notifications/tools/list_changed");
      expect(await onListen.next()).toBe("notifications/tools/list_changed");
      expect(await names()).not.toContain("fixture__echo");
      // Back (a new process after the backoff): told again, and the tools are listed again.
      expect(await onSession.next()).toBe("notifications/tools/list_changed");
      expect(await onListen.next()).toBe("notifications/tools/list_changed");
      expect(await names()).toContain("fixture__echo");
      await subscription.close();
    } finally {
      await session.close();
      await modern.close();
    }
  });
});
