import { readFileSync } from "node:fs";
import type { RequestContext } from "@a2a-js/sdk/server";
import { describe, expect, it } from "vitest";
import { FIXTURE, fixtureFiles, stdio, waitForServers } from "../mcp/gateway-helpers.js";
import { startDataAgent } from "./a2a-fixtures.js";
import { agentWidgetsForSuite, bindMetricsWidget, retryWidget } from "./widget-retry.js";

/** What the fixture agent answers: metrics data, a failure (it throws), or data that is not metrics props. */
let mode: "ok" | "down" | "bad" = "ok";
let served = 0;
const lastInput: { skill?: unknown; data?: unknown } = {};

async function answer(context: RequestContext): Promise<unknown> {
  if (mode === "down") throw new Error("metrics backend is down");
  served++;
  const part = context.userMessage.parts[0]?.content;
  lastInput.skill = context.userMessage.metadata?.skill;
  lastInput.data = part?.$case === "data" ? part.value : undefined;
  return mode === "ok" ? { items: [{ label: "requests", value: served }] } : { items: "nope" };
}

/**
 * Issue 16 step 4: widgets bound to a remote A2A agent or an MCP tool. Retry marks them `loading`, the
 * server fetches the data itself (no agent is connected to our WebSocket here) and writes `ready` with the
 * validated props, or a retryable `error` that says what went wrong.
 */
describe("widgets bound to agents and MCP tools", () => {
  const { counter } = fixtureFiles("agentboard-bound-");
  const t = agentWidgetsForSuite({
    env: {
      AGENTBOARD_MCP_SERVERS: JSON.stringify({
        fixture: stdio(FIXTURE, [], { env: { FIXTURE_COUNTER_FILE: counter } }),
      }),
    },
    agentName: "Metrics agent",
    aliceName: "bound-alice",
    answer,
    ready: ({ server }) => waitForServers(server.app, (s) => s.get("fixture")?.status === "connected"),
  });

  const retry = (widgetId: string) => retryWidget(t.alice, widgetId);

  it("a metrics widget bound to a remote agent: ready, error when it fails, ready again, error on bad data", async () => {
    await bindMetricsWidget(t.alice, "kpi", t.agent.cardUrl, { window: "1h" });

    const ready = await retry("kpi");
    expect(ready).toMatchObject({ status: "ready", props: { items: [{ label: "requests", value: 1 }] } });
    expect(ready.error).toBeUndefined();
    expect(lastInput).toEqual({ skill: "metrics", data: { window: "1h" } });

    mode = "down";
    const failed = await retry("kpi");
    expect(failed.status).toBe("error");
    expect(failed.error).toMatchObject({ retryable: true, code: expect.stringMatching(/^source_/) });
    expect(failed.props).toEqual(ready.props);

    mode = "ok";
    expect(await retry("kpi")).toMatchObject({ status: "ready", props: { items: [{ value: 2 }] } });

    mode = "bad";
    const invalid = await retry("kpi");
    expect(invalid).toMatchObject({
      status: "error",
      error: { code: "source_invalid_data", retryable: true },
    });
    expect(invalid.error.message).toContain("not valid metrics props");
    mode = "ok";
  });

  it("an unreachable agent is a retryable error that says so", async () => {
    const gone = await startDataAgent("Gone agent", answer);
    await bindMetricsWidget(t.alice, "gone", gone.cardUrl);
    await gone.close();
    expect(await retry("gone")).toMatchObject({
      status: "error",
      error: { code: "source_unreachable", retryable: true },
    });
  });

  it("a widget bound to an MCP tool: ready with its data; a gated tool is refused and never runs", async () => {
    const data = { items: [{ label: "echoed", value: 7 }] };
    await t.alice.request("PUT", "/api/dashboards/me/widgets/echo", {
      type: "metrics",
      title: "Echo",
      props: { items: [] },
      source: { kind: "mcp", server: "fixture", tool: "echo", args: { text: JSON.stringify(data) } },
    });
    expect(await retry("echo")).toMatchObject({ status: "ready", props: data });

    await t.alice.request("PUT", "/api/dashboards/me/widgets/gated", {
      type: "metrics",
      title: "Gated",
      props: { items: [] },
      source: { kind: "mcp", server: "fixture", tool: "increment", args: {} },
    });
    const refused = await retry("gated");
    expect(refused).toMatchObject({ status: "error", error: { code: "source_refused", retryable: true } });
    expect(refused.error.message).toContain("needs approval");
    expect(() => readFileSync(counter, "utf8")).toThrow();
  });
});
