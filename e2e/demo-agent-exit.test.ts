import { execFileSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { cleanupCli, http, makeTempDir, startCliServer } from "./helpers/cli.js";

afterEach(cleanupCli);

/** The PID of the demo's status agent: the server's child running examples/demo/status-agent.mjs. */
function statusAgentPid(serverPid: number): number {
  const children = execFileSync("ps", ["-o", "pid=,args=", "--ppid", String(serverPid)], {
    encoding: "utf8",
  });
  const line = children.split("\n").find((row) => row.includes("status-agent"));
  if (!line) throw new Error(`no status agent among the server's children:\n${children}`);
  return Number.parseInt(line.trim(), 10);
}

describe("agentboard start --demo", () => {
  it("withdraws the status agent's loopback exception when that agent exits while the server runs", {
    timeout: 90_000,
  }, async () => {
    const server = await startCliServer({ dataDir: makeTempDir(), args: ["--demo"] });
    try {
      const code = new URL(server.loginUrl).searchParams.get("login");
      const session = await http(`${server.url}/api/auth/session`, { method: "POST", body: { code } });
      const cookie = session.headers
        .getSetCookie()
        .map((c) => /^(agentboard_session=[^;]+)/.exec(c)?.[1])
        .find(Boolean)!;
      const agents = await http(`${server.url}/api/agents`, { headers: { cookie } });
      const { cardUrl } = (agents.body.items as { kind: string; cardUrl: string }[]).find(
        (agent) => agent.kind === "a2a",
      )!;

      // The agent dies (crash, OOM kill) and the server keeps running: its port is free for anything else
      // on this machine to listen on, so the origin must no longer pass the SSRF guard.
      process.kill(statusAgentPid(server.pid), "SIGKILL");
      for (let i = 0; i < 100; i++) {
        if (
          await fetch(cardUrl).then(
            () => false,
            () => true,
          )
        )
          break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      let refused: { status: number; body: { message?: string } } | undefined;
      for (let i = 0; i < 100; i++) {
        refused = await http(`${server.url}/api/agents`, {
          method: "POST",
          headers: { cookie, origin: server.url },
          body: { cardUrl: `${new URL(cardUrl).origin}/somewhere-else.json` },
        });
        if (/loopback/.test(refused.body.message ?? "")) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(refused?.status).toBe(422);
      expect(refused?.body.message).toMatch(/loopback/);
    } finally {
      await server.stop();
    }
  });
});
