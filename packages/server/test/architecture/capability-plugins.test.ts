import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import type { ApprovalService } from "../../src/approvals/approval-service.js";
import { approvalsPlugin } from "../../src/approvals/approvals-plugin.js";
import { InProcessEventBus } from "../../src/events/event-bus.js";

/**
 * A capability plugin says what it needs (docs/architecture.md "Capabilities: the plugin list"): left out of
 * the list, or put before what it needs, the app refuses to start instead of failing at the first request.
 */
describe("capability plugins", () => {
  it("refuses to start an app where a capability's dependency is not registered", async () => {
    const app = Fastify();
    app.register(approvalsPlugin, {
      // Never reached: the dependency check runs before the plugin's body.
      approvals: {} as ApprovalService,
      bus: new InProcessEventBus(() => {}),
    });
    // fastify-plugin checks the declared decorators, then the declared dependencies, by name.
    await expect(app.ready()).rejects.toThrow(/(required by|of plugin) 'agentboard-approvals'/);
    await app.close().catch(() => {});
  });
});
