import type { RequestContext } from "@a2a-js/sdk/server";
import {
  type Caller,
  liveView,
  startForSuite,
  startTestServer,
  type TestServer,
} from "@agentboard/test-support";
import { expect } from "vitest";
import { startDataAgent } from "./a2a-fixtures.js";

/** Presses Retry on one of the caller's widgets, then waits (deadline 10 s) until it leaves `loading`. */
export async function retryWidget(caller: Caller, widgetId: string): Promise<any> {
  const refresh = await caller.request("POST", `/api/dashboards/me/widgets/${widgetId}/refresh`);
  expect(refresh.status).toBe(202);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const widget = (await caller.request("GET", "/api/dashboards/me/state")).body.state.widgets[widgetId];
    if (widget.status !== "loading") return widget;
    if (Date.now() > deadline) throw new Error(`${widgetId} still loading`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Registers the remote agent at `cardUrl` and puts a metrics widget bound to its `metrics` skill. */
export async function bindMetricsWidget(
  caller: Caller,
  widgetId: string,
  cardUrl: string,
  input?: Record<string, unknown>,
): Promise<{ agentId: string }> {
  const registered = await caller.request("POST", "/api/agents", { cardUrl });
  expect(registered.status).toBe(201);
  const put = await caller.request("PUT", `/api/dashboards/me/widgets/${widgetId}`, {
    type: "metrics",
    title: widgetId,
    props: { items: [] },
    source: { kind: "agent", agentId: registered.body.id, skill: "metrics", ...(input ? { input } : {}) },
  });
  expect(put.status).toBeLessThan(300);
  return { agentId: registered.body.id };
}

/** What `agentWidgetsForSuite` gives a suite: its server, the data agent and alice (an admin). */
export interface AgentWidgets {
  server: TestServer;
  agent: Awaited<ReturnType<typeof startDataAgent>>;
  alice: Caller;
}

/**
 * For a suite of widgets bound to a remote agent: one server (private-network agents allowed, plus `env`),
 * a data agent `agentName` answering with `answer`, and `aliceName` as an admin; `ready` finishes the set-up.
 * Read `t.server`, `t.agent`, `t.alice` inside tests.
 */
export function agentWidgetsForSuite(options: {
  env: Record<string, string>;
  agentName: string;
  aliceName: string;
  answer: (context: RequestContext) => Promise<unknown>;
  ready?: (suite: AgentWidgets) => Promise<unknown>;
}): AgentWidgets {
  let current: AgentWidgets | undefined;
  startForSuite<AgentWidgets & { close(): Promise<void> }>(
    async (started) => {
      current = started;
      await options.ready?.(started);
    },
    async () => {
      const server = await startTestServer({
        AGENTBOARD_AGENTS_ALLOW_PRIVATE_NETWORK: "true",
        ...options.env,
      });
      const agent = await startDataAgent(options.agentName, options.answer).catch(async (error: unknown) => {
        await server.close();
        throw error;
      });
      const alice = await server.caller({ name: options.aliceName, role: "admin" });
      return {
        server,
        agent,
        alice,
        async close() {
          await server.close();
          await agent.close();
        },
      };
    },
  );
  return liveView(() => current);
}
