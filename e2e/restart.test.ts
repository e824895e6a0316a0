import { LIMITS, validateDashboardState } from "@agentboard/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupCli, http, lastLine, makeTempDir, runCli, startCliServer } from "./helpers/cli.js";

afterEach(cleanupCli);

/** An agent token made with the CLI on the data dir, before any server runs there. */
async function agentToken(dataDir: string, name: string): Promise<string> {
  const created = await runCli(["token", "create", "--kind", "agent", "--name", name, "--data-dir", dataDir]);
  expect(created.code, created.stderr).toBe(0);
  const token = lastLine(created.stdout);
  expect(token).toMatch(/^ab_/);
  return token;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe("restart on the same data dir", () => {
  it("a graceful restart (SIGTERM) keeps the document identical: rev and state", {
    timeout: 60_000,
  }, async () => {
    const dataDir = makeTempDir();
    const token = await agentToken(dataDir, "writer");
    const doc = "restart-check";

    const first = await startCliServer({ dataDir });
    let before: unknown;
    try {
      const base = `${first.url}/api/dashboards/${doc}`;
      const widgets = {
        notes: { type: "note", title: "Notes", props: { markdown: "# Before the restart\n\n- one\n- two" } },
        kpis: {
          type: "metrics",
          title: "KPIs",
          props: { items: [{ label: "Signups", value: 42, unit: "/day", delta: 3.5, trend: [1, 2, 3] }] },
        },
        deploy: {
          type: "alert",
          title: "Deploy",
          props: { severity: "warning", message: "Waiting for approval" },
        },
      };
      for (const [id, widget] of Object.entries(widgets)) {
        const put = await http(`${base}/widgets/${id}`, {
          method: "PUT",
          headers: bearer(token),
          body: widget,
        });
        expect(put.status, JSON.stringify(put.body)).toBe(200);
      }
      const current = await http(`${base}/state`, { headers: bearer(token) });
      const patch = await http(`${base}/state`, {
        method: "PATCH",
        headers: bearer(token),
        body: {
          baseRev: current.body.rev,
          ops: [
            { op: "replace", path: "/widgets/kpis/title", value: "KPIs (renamed)" },
            { op: "add", path: "/preferences/theme", value: "dark" },
          ],
        },
      });
      expect(patch.status, JSON.stringify(patch.body)).toBe(200);

      const read = await http(`${base}/state`, { headers: bearer(token) });
      expect(read.status).toBe(200);
      expect(read.body.rev).toBe(4);
      expect(Object.keys(read.body.state.widgets).sort()).toEqual(["deploy", "kpis", "notes"]);
      expect(read.body.state.widgets.kpis.title).toBe("KPIs (renamed)");
      before = read.body;
    } finally {
      const exit = await first.stop("SIGTERM");
      expect(exit, first.output().stdout + first.output().stderr).toEqual({ code: 0, signal: null });
    }

    const second = await startCliServer({ dataDir });
    try {
      const after = await http(`${second.url}/api/dashboards/${doc}/state`, { headers: bearer(token) });
      expect(after.status).toBe(200);
      expect(after.body).toEqual(before);
    } finally {
      await second.stop();
    }
  });

  it("kill -9 during a write storm loses no acknowledged write", { timeout: 120_000 }, async () => {
    const LOOPS = 8;
    // 8 x 24 = 192 widgets stays under the 200-widget cap; later writes of a loop retitle its own widgets.
    const ADDS_PER_LOOP = 24;
    const KILL_AFTER_ACKS = 300;
    const MAX_REQUESTS_PER_LOOP = 250;
    const STORM_DEADLINE_MS = 30_000;
    expect(LOOPS * ADDS_PER_LOOP).toBeLessThanOrEqual(LIMITS.maxWidgets);

    const dataDir = makeTempDir();
    const token = await agentToken(dataDir, "storm");
    const doc = "storm";
    // Stopped at ~300 acks, the storm stays well within the default rate limit (1200 requests a minute).
    const first = await startCliServer({ dataDir });
    const stateUrl = `${first.url}/api/dashboards/${doc}/state`;

    /** Highest version acknowledged per widget id (the version is in the title: `<id> v<n>`). */
    const acked = new Map<string, number>();
    /** Highest version ever sent per widget id, acknowledged or not. */
    const attempted = new Map<string, number>();
    let acks = 0;
    let maxAckedRev = 0;
    let inFlight = 0;
    let inFlightAtKill = -1;
    let networkErrors = 0;
    const unexpected: string[] = [];
    const deadline = Date.now() + STORM_DEADLINE_MS;
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      inFlightAtKill = inFlight;
      process.kill(first.pid, "SIGKILL");
    };

    const widgetValue = (id: string, n: number) => ({
      id,
      type: "note",
      title: `${id} v${n}`,
      props: { markdown: `written by loop write ${n}` },
      status: "ready",
      updatedAt: new Date().toISOString(),
      updatedBy: "agent:storm",
    });

    const loop = async (index: number) => {
      // The last rev this writer saw; the server rebases over other writers' disjoint paths.
      let baseRev = 0;
      for (let n = 0; n < MAX_REQUESTS_PER_LOOP && !killed && Date.now() < deadline; n++) {
        const adding = n < ADDS_PER_LOOP;
        const id = `w${index}-${n % ADDS_PER_LOOP}`;
        const ops = adding
          ? [{ op: "add", path: `/widgets/${id}`, value: widgetValue(id, n) }]
          : [{ op: "replace", path: `/widgets/${id}/title`, value: `${id} v${n}` }];
        attempted.set(id, n);
        inFlight++;
        let status: number;
        let body: { rev?: number; error?: string };
        try {
          const response = await fetch(stateUrl, {
            method: "PATCH",
            headers: { ...bearer(token), "content-type": "application/json" },
            body: JSON.stringify({ baseRev, ops }),
          });
          status = response.status;
          body = (await response.json()) as typeof body;
        } catch (error) {
          // The server was killed with this request in flight (or this loop noticed too late): not acked.
          if (!killed) throw error;
          networkErrors++;
          return;
        } finally {
          inFlight--;
        }
        if (status === 200 && typeof body.rev === "number") {
          acked.set(id, n);
          acks++;
          maxAckedRev = Math.max(maxAckedRev, body.rev);
          baseRev = Math.max(baseRev, body.rev);
          if (acks >= KILL_AFTER_ACKS) kill();
        } else {
          // Disjoint paths must always rebase; anything else is a finding, not noise.
          unexpected.push(`${id} v${n}: HTTP ${status} ${JSON.stringify(body)}`);
          if (unexpected.length > 20) return;
        }
      }
    };

    try {
      await Promise.all(Array.from({ length: LOOPS }, (_, index) => loop(index)));
      // Ran out of count or time before the kill point (a very slow machine): kill now; the checks hold.
      kill();
      expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });
    } finally {
      await first.stop("SIGKILL");
    }
    expect(unexpected).toEqual([]);
    expect(acks).toBeGreaterThan(0);

    const second = await startCliServer({ dataDir });
    try {
      const read = await http(`${second.url}/api/dashboards/${doc}/state`, { headers: bearer(token) });
      expect(read.status).toBe(200);
      const state = validateDashboardState(read.body.state);
      expect(read.body.rev).toBeGreaterThanOrEqual(maxAckedRev);

      const version = (id: string) => Number(/ v(\d+)$/.exec(state.widgets[id]?.title ?? "")?.[1] ?? -1);
      const lost = [...acked].filter(([id, n]) => !(id in state.widgets) || version(id) < n);
      expect(
        lost,
        `acknowledged writes missing after kill -9 (${acks} acks, ${inFlightAtKill} requests in flight at the ` +
          `kill, ${networkErrors} failed with network errors)`,
      ).toEqual([]);
      // Nothing appears that was never sent, and no write is newer than the newest one sent.
      for (const id of Object.keys(state.widgets)) {
        expect(attempted.has(id), `unexpected widget ${id}`).toBe(true);
        expect(version(id)).toBeLessThanOrEqual(attempted.get(id)!);
      }

      // The store is writable again right away: a write on the recovered rev is accepted.
      const next = await http(`${second.url}/api/dashboards/${doc}/state`, {
        method: "PATCH",
        headers: bearer(token),
        body: {
          baseRev: read.body.rev,
          ops: [{ op: "add", path: "/preferences/density", value: "compact" }],
        },
      });
      expect(next.status, JSON.stringify(next.body)).toBe(200);
      expect(next.body.rev).toBe(read.body.rev + 1);
    } finally {
      await second.stop();
    }
  });
});
