import { type Caller, noteWidget, startTestServer, type TestServer } from "@agentboard/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ofType, openAgui, runInput } from "./agui-helpers.js";

let server: TestServer;
let alice: Caller;
let bot: Caller;
beforeAll(async () => {
  server = await startTestServer({ AGENTBOARD_RATE_LIMIT_PER_MINUTE: "1000000" });
  alice = await server.caller({ name: "alice" });
  bot = await server.caller({ kind: "agent", name: "bot" });
});
afterAll(async () => server?.close());

/** Everything an open run holds on this node. */
function holdings() {
  const { app, runtime } = server;
  return {
    runs: app.aguiRuns.size,
    hubConnections: app.realtimeHub.connectionCount,
    dashboardSubscriptions: app.realtimeHub.subscriptionCount("dashboards"),
    approvalSubscriptions: app.realtimeHub.subscriptionCount("approvals"),
    revocationWatchers: app.revocations.size,
    dashboardListeners: runtime.bus.listenerCount("dashboard"),
    approvalListeners: runtime.bus.listenerCount("approval"),
  };
}

async function settled(expected: ReturnType<typeof holdings>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (JSON.stringify(holdings()) !== JSON.stringify(expected) && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  expect(holdings()).toEqual(expected);
}

/** A client that gives up while the server is still checking the request (before the stream opens). */
async function leaveBeforeTheAnswer(headers: Record<string, string>): Promise<void> {
  const abort = new AbortController();
  const sent = fetch(`${server.url}/api/agui/leaks`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(runInput()),
    signal: abort.signal,
  });
  setImmediate(() => abort.abort());
  await sent.then((response) => response.body?.cancel()).catch(() => {});
}

const RUNS = 1000;
const BATCH = 50;

describe("AG-UI runs whose client goes away", () => {
  it(`leave nothing behind: every count back to its baseline after ${RUNS} runs`, async () => {
    await bot.request("PUT", "/api/dashboards/leaks/widgets/w", noteWidget("0"));
    const baseline = holdings();
    // Changes keep flowing while clients come and go.
    let writes = 0;
    const writing = setInterval(() => {
      // Background traffic only: a write lost to a reset connection changes nothing this test checks.
      bot.request("PUT", "/api/dashboards/leaks/widgets/w", noteWidget(String(++writes))).catch(() => {});
    }, 25);
    const headers = { authorization: `Bearer ${alice.token}` };
    let peak = 0;
    try {
      for (let done = 0; done < RUNS; done += BATCH) {
        await Promise.all(
          Array.from({ length: BATCH }, async (_, i) => {
            if (i % 10 === 9) return leaveBeforeTheAnswer(headers);
            const stream = await openAgui(server.url, "leaks", runInput(), headers);
            expect(stream.status).toBe(200);
            // Some leave at once, the others mid-run after the snapshot (and maybe a few deltas).
            if (i % 5 !== 0) await stream.next(ofType("STATE_SNAPSHOT"));
            peak = Math.max(peak, server.app.aguiRuns.size);
            stream.close();
          }),
        );
      }
    } finally {
      clearInterval(writing);
    }
    // The count rose while runs were open (so it is the count that runs change) and fell back after.
    expect(peak).toBeGreaterThan(0);
    await settled(baseline);
  }, 120_000);
});
