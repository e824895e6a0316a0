import { createBoardClient, type SyncClient } from "@agentboard/client";
import type { JsonPatchOp } from "@agentboard/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupCli, freePort, lastLine, makeTempDir, runCli, startCliServer } from "./helpers/cli.js";

const replicas: SyncClient[] = [];
afterEach(async () => {
  await Promise.all(replicas.splice(0).map((r) => r.close()));
  await cleanupCli();
});

const task = (id: string) => ({ id, title: `task ${id}`, status: "todo" });

/** Polls (bounded) until every replica reports the server's rev; returns the server document. */
async function converged(url: string, token: string, sync: SyncClient[]) {
  const board = createBoardClient({ url, token });
  for (let attempt = 0; attempt < 200; attempt++) {
    const document = await board.dashboards.get("ops");
    if (sync.every((r) => r.rev === document.rev && r.pending.length === 0)) return document;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const document = await board.dashboards.get("ops");
  throw new Error(
    `no convergence: server rev ${document.rev}, replicas ${sync.map((r) => `${r.rev}/${r.pending.length}`).join(", ")}`,
  );
}

describe("live replicas across a server crash", () => {
  it("reconnect after kill -9 and a restart, and apply offline edits exactly once", async () => {
    const dataDir = makeTempDir();
    const port = await freePort();
    const token = lastLine(
      (await runCli(["token", "create", "--kind", "agent", "--name", "ops-bot", "--data-dir", dataDir]))
        .stdout,
    );
    const first = await startCliServer({ dataDir, args: ["--port", String(port)] });
    const fast = { minReconnectDelayMs: 100, maxReconnectDelayMs: 500 };
    const board = createBoardClient({ url: first.url, token, ...fast });
    await board.dashboards.upsertWidget("ops", "tasks", {
      type: "task_list",
      title: "Tasks",
      props: { tasks: [] },
    });

    // Two replicas of one dashboard on one board client: each sees the other's writes (a socket each).
    const a = board.sync("ops");
    const b = board.sync("ops");
    replicas.push(a, b);
    await Promise.all([a.ready({ timeoutMs: 10_000 }), b.ready({ timeoutMs: 10_000 })]);
    a.apply([{ op: "add", path: "/widgets/tasks/props/tasks/-", value: task("before") }]);
    await a.flushed({ timeoutMs: 10_000 });

    await first.stop("SIGKILL");
    // Offline edits: appends are not idempotent, so a duplicate would show up as a second copy.
    const appendA: JsonPatchOp[] = [
      { op: "add", path: "/widgets/tasks/props/tasks/-", value: task("offline-a") },
    ];
    const appendB: JsonPatchOp[] = [
      { op: "add", path: "/widgets/tasks/props/tasks/-", value: task("offline-b") },
    ];
    a.apply(appendA);
    b.apply(appendB);
    b.apply([{ op: "replace", path: "/widgets/tasks/title", value: "Tasks (after crash)" }]);

    const second = await startCliServer({ dataDir, args: ["--port", String(port)] });
    expect(second.url).toBe(first.url);
    await Promise.all([a.flushed({ timeoutMs: 30_000 }), b.flushed({ timeoutMs: 30_000 })]);
    const document = await converged(second.url, token, [a, b]);

    const ids = (document.state.widgets.tasks!.props as { tasks: Array<{ id: string }> }).tasks.map(
      (t) => t.id,
    );
    expect(ids.filter((id) => id === "offline-a")).toHaveLength(1);
    expect(ids.filter((id) => id === "offline-b")).toHaveLength(1);
    expect(ids.filter((id) => id === "before")).toHaveLength(1);
    expect(document.state.widgets.tasks?.title).toBe("Tasks (after crash)");
    expect(a.state).toEqual(document.state);
    expect(b.state).toEqual(document.state);
    expect(a.status).toBe("connected");
  }, 90_000);
});
