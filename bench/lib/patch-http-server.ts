/**
 * Child process of the PATCH benchmark: a real agentboard server (Fastify + embedded SQLite, as in the
 * integration tests) on loopback, so the HTTP clients' CPU does not share the server's event loop.
 *
 *   tsx bench/lib/patch-http-server.ts <documentBytes> <clients>
 *
 * Prints one JSON line (ServerReady) once it listens, then serves until stdin closes (the parent ended or
 * died) or SIGTERM, and removes its data dir on the way out.
 */

import { startTestServer } from "@agentboard/test-support";
import { makeDashboardState } from "../fixtures/dashboard-state.js";

export interface ServerReady {
  url: string;
  dashboardId: string;
  /** One bearer token per client, each of its own user, so no client shares another's rate-limit budget. */
  tokens: string[];
  rev: number;
  widgetIds: string[];
}

const DASHBOARD_ID = "bench";

async function main(): Promise<void> {
  const documentBytes = Number(process.argv[2]);
  const clients = Number(process.argv[3]);
  // The bench sends thousands of requests a minute; the default 1200/min per principal would answer 429.
  const server = await startTestServer({ AGENTBOARD_RATE_LIMIT_PER_MINUTE: "1000000" });
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void server.close().finally(() => process.exit(0));
  };
  process.stdin.on("end", stop).on("close", stop).resume();
  process.on("SIGTERM", stop);

  const callers = [];
  for (let i = 0; i < clients; i++) callers.push(await server.caller({ name: `bench-${i}` }));
  const state = makeDashboardState(documentBytes);
  const first = callers[0]!.principal;
  const key = { workspaceId: first.workspaceId, dashboardId: DASHBOARD_ID };
  const { rev } = await server.runtime.dashboards.put(key, { baseRev: 0, state }, `user:${first.id}`);
  const ready: ServerReady = {
    url: server.url,
    dashboardId: DASHBOARD_ID,
    tokens: callers.map((caller) => caller.token),
    rev,
    widgetIds: Object.keys(state.widgets),
  };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
