import { afterAll, describe, expect, it } from "vitest";
import { cardJson, listen } from "./a2a-fixtures.js";
import { agentWidgetsForSuite, bindMetricsWidget, retryWidget } from "./widget-retry.js";

const SOURCE_MAX_BYTES = 4096;

/**
 * What the fixture agent does with the next message: answer metrics data, never answer, answer a DataPart
 * over the data limit but within the answer limit (4×), or flood far past the answer limit.
 */
let mode: "ok" | "hang" | "big" | "flood" = "ok";
let served = 0;
/** Releases the hung executions (afterAll), so nothing of the fixture outlives the test. */
const hung = new Set<() => void>();

async function answer(): Promise<unknown> {
  if (mode === "hang") await new Promise<void>((resolve) => hung.add(resolve));
  served++;
  const label = {
    ok: "requests",
    hang: "late",
    big: "b".repeat(SOURCE_MAX_BYTES * 2),
    flood: "f".repeat(1 << 20),
  }[mode];
  return { items: [{ label, value: served }] };
}

/**
 * The limits of a widget bound to a remote A2A agent (issue 16 step 4): an agent that hangs ends as
 * `source_timeout` after the refresh timeout and recovers on the next Retry once it answers again; data
 * over AGENTBOARD_SOURCE_MAX_BYTES (the DataPart) or an answer over 4× that (the HTTP body, refused before
 * it is read whole) is `source_too_large`, and the widget keeps its last good props.
 */
describe("widgets bound to agents: timeouts and size limits", () => {
  const t = agentWidgetsForSuite({
    env: {
      // The smallest allowed: the hung agent's refresh ends after one second.
      AGENTBOARD_REFRESH_TIMEOUT_MS: "1000",
      AGENTBOARD_SOURCE_MAX_BYTES: String(SOURCE_MAX_BYTES),
    },
    agentName: "Limits agent",
    aliceName: "limits-alice",
    answer,
    ready: ({ alice, agent }) => bindMetricsWidget(alice, "kpi", agent.cardUrl),
  });
  // Registered after the suite's server, so it runs before the server closes.
  afterAll(() => {
    for (const release of hung) release();
  });

  const retry = (widgetId: string) => retryWidget(t.alice, widgetId);

  it("a hung agent ends as source_timeout; the next Retry after it answers again is ready", async () => {
    mode = "hang";
    const timedOut = await retry("kpi");
    expect(hung.size).toBe(1);
    expect(timedOut).toMatchObject({
      status: "error",
      error: { code: "source_timeout", retryable: true },
    });
    expect(timedOut.error.message).toContain("no answer within 1 s");

    mode = "ok";
    const ready = await retry("kpi");
    expect(ready).toMatchObject({ status: "ready", props: { items: [{ label: "requests", value: 1 }] } });
    expect(ready.error).toBeUndefined();
  });

  it.each([
    [
      "a DataPart over the data limit",
      "big",
      new RegExp(`the data is \\d+ bytes, over the ${SOURCE_MAX_BYTES}-byte limit`),
    ],
    ["an answer over 4× the limit", "flood", new RegExp(`the answer exceeds ${4 * SOURCE_MAX_BYTES} bytes`)],
  ] as const)("%s is refused as source_too_large; the last props stay", async (_what, tooBig, message) => {
    const before = await retry("kpi");
    expect(before.status).toBe("ready");
    mode = tooBig;
    const refused = await retry("kpi");
    expect(refused).toMatchObject({
      status: "error",
      error: { code: "source_too_large", retryable: true },
    });
    expect(refused.error.message).toMatch(message);
    expect(refused.props).toEqual(before.props);
    mode = "ok";
    expect(await retry("kpi")).toMatchObject({ status: "ready", props: { items: [{ label: "requests" }] } });
  });

  it("an answer streamed without a length is cut once it passes 4× the limit", async () => {
    // Not the SDK: a JSON-RPC answer sent in 1 KiB chunks with no content-length, 1 MiB in all.
    const flood = await listen((req, res) => {
      res.setHeader("content-type", "application/json");
      if (req.method === "GET") {
        res.end(JSON.stringify(cardJson("Flood agent", flood.url)));
        return;
      }
      res.write('{"jsonrpc":"2.0","id":1,"result":{"message":{"parts":[{"data":{"items":[{"label":"');
      let chunks = 0;
      const more = () => {
        while (chunks++ < 1024) if (!res.write("x".repeat(1024))) return void res.once("drain", more);
        res.end('","value":1}]}}]}}}');
      };
      more();
    });
    try {
      await bindMetricsWidget(t.alice, "flood", `${flood.url}/card.json`);
      const refused = await retry("flood");
      expect(refused).toMatchObject({
        status: "error",
        error: { code: "source_too_large", retryable: true },
      });
      expect(refused.error.message).toContain(`the answer exceeds ${4 * SOURCE_MAX_BYTES} bytes`);
    } finally {
      await flood.close();
    }
  });
});
