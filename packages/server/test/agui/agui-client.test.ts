import { type BaseEvent, HttpAgent } from "@ag-ui/client";
import { EventSchema } from "@ag-ui/core/schemas";
import { createBoardClient, type SyncClient } from "@agentboard/client";
import type { JsonPatchOp } from "@agentboard/protocol";
import {
  type Caller,
  EDITED_WIDGETS,
  opsOfEdit,
  randomEdit,
  startTestServer,
  type TestServer,
} from "@agentboard/test-support";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The real AG-UI client (`@ag-ui/client` HttpAgent, as CopilotKit uses it) against the stream: it applies
 * STATE_SNAPSHOT and STATE_DELTA itself, so its state is what a front-end would show.
 */
let server: TestServer;
let alice: Caller;
let bob: Caller;
let bot: Caller;
beforeAll(async () => {
  server = await startTestServer({ AGENTBOARD_RATE_LIMIT_PER_MINUTE: "100000" });
  alice = await server.caller({ name: "alice" });
  bob = await server.caller({ name: "bob" });
  bot = await server.caller({ kind: "agent", name: "bot" });
});
afterAll(async () => server?.close());

function agentFor(caller: Caller, dashboardId: string): { agent: HttpAgent; invalid: unknown[] } {
  const agent = new HttpAgent({
    url: `${server.url}/api/agui/${dashboardId}`,
    headers: { authorization: `Bearer ${caller.token}` },
  });
  const invalid: unknown[] = [];
  agent.subscribe({
    onEvent: ({ event }: { event: BaseEvent }) => {
      if (!EventSchema.safeParse(event).success) invalid.push(event);
    },
  });
  return { agent, invalid };
}

/**
 * Resolves once the agent's state is at `rev`; rejects after `timeoutMs`. Polled: HttpAgent tells only the
 * subscribers it had when the run started.
 */
async function stateAt(agent: HttpAgent, rev: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((agent.state as { rev?: number }).rev !== rev) {
    if (Date.now() > deadline)
      throw new Error(`the agent's state stayed at rev ${(agent.state as { rev?: number }).rev}, not ${rev}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("@ag-ui/client HttpAgent", () => {
  it("ends with the server's document after random concurrent edits by several writers (property)", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(2), randomEdit({ markdown: true }), fc.nat(10)), {
          minLength: 5,
          maxLength: 25,
        }),
        async (steps) => {
          const dashboardId = `prop-${run++}`;
          const agentBoard = createBoardClient({ url: server.url, token: bot.token });
          const bobBoard = createBoardClient({ url: server.url, token: bob.token });
          for (const id of EDITED_WIDGETS)
            await agentBoard.dashboards.upsertWidget(dashboardId, id, {
              type: "note",
              title: id,
              props: { markdown: "" },
            });
          await agentBoard.dashboards.upsertWidget(dashboardId, "tasks", {
            type: "task_list",
            title: "t",
            props: { tasks: [] },
          });
          const { agent, invalid } = agentFor(alice, dashboardId);
          const running = agent.runAgent();
          let replica: SyncClient | undefined;
          try {
            await stateAt(agent, (await agentBoard.dashboards.get(dashboardId)).rev);
            replica = agentBoard.sync(dashboardId);
            await replica.ready({ timeoutMs: 10_000 });
            // Three writers at once: the SDK's live replica, REST PATCH (rebased or refused), widget upserts.
            const writers = [
              (ops: JsonPatchOp[]) => replica!.apply(ops),
              async (ops: JsonPatchOp[]) => {
                const { rev } = await bobBoard.dashboards.get(dashboardId);
                await bobBoard.dashboards.patch(dashboardId, rev, ops).catch(() => {});
              },
              async (_ops: JsonPatchOp[], tag: string) => {
                await agentBoard.dashboards.upsertWidget(dashboardId, "c", {
                  type: "note",
                  title: tag,
                  props: { markdown: tag },
                });
              },
            ];
            await Promise.all(
              [0, 1, 2].map(async (who) => {
                for (const [i, [writer, edit, pause]] of steps.entries()) {
                  if (writer !== who) continue;
                  await new Promise((resolve) => setTimeout(resolve, pause));
                  await writers[who]!(opsOfEdit(edit, `w${who}-${i}`), `w${who}-${i}`);
                }
              }),
            );
            await replica.flushed({ timeoutMs: 20_000 });
            const document = await agentBoard.dashboards.get(dashboardId);
            await stateAt(agent, document.rev);
            expect(agent.state).toEqual({ ...document.state, dashboardId, rev: document.rev });
            expect(invalid).toEqual([]);
          } finally {
            agent.abortRun();
            await running.catch(() => {});
            await replica?.close();
            await agentBoard.close();
            await bobBoard.close();
          }
        },
      ),
      { numRuns: 15 },
    );
  }, 120_000);

  it("an interrupt resumed through HttpAgent decides the approval, and the agent waiting on it wakes", async () => {
    const agentBoard = createBoardClient({ url: server.url, token: bot.token });
    try {
      const handle = await agentBoard.approvals.request({
        type: "deploy",
        title: "Ship v3",
        action: { tool: "deploy", args: { version: 3 } },
      });
      const woke = handle.wait({ timeoutMs: 30_000 });
      const { agent, invalid } = agentFor(alice, "me");
      await agent.runAgent();
      expect(agent.pendingInterrupts.map((interrupt) => interrupt.id)).toEqual([handle.id]);
      expect(agent.state).toMatchObject({ dashboardId: "me", rev: expect.any(Number), widgets: {} });

      await agent.runAgent({
        resume: [
          { interruptId: handle.id, status: "resolved", payload: { decision: "approve", reason: "go" } },
        ],
        forwardedProps: { agentboard: { follow: false } },
      });
      expect(agent.pendingInterrupts).toEqual([]);
      await expect(woke).resolves.toMatchObject({
        id: handle.id,
        status: "approved",
        reason: "go",
        decidedBy: { kind: "user", id: alice.principal.id },
      });
      expect(invalid).toEqual([]);
    } finally {
      await agentBoard.close();
    }
  });
});
