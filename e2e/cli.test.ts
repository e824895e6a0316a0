import { readdirSync } from "node:fs";
import { CLOSE_CODES, WIDGET_TYPES } from "@agentboard/protocol";
import { openSocket, WsClient } from "@agentboard/test-support";
import { afterEach, describe, expect, it } from "vitest";
import {
  type CliServer,
  cleanupCli,
  freePort,
  http,
  lastLine,
  makeTempDir,
  runCli,
  spawnTracked,
  startCliServer,
} from "./helpers/cli.js";

afterEach(cleanupCli);

/** Exchanges a one-time login URL for a session cookie, as the browser does. */
async function signIn(server: CliServer, loginUrl: string) {
  const code = new URL(loginUrl).searchParams.get("login");
  expect(code).toMatch(/^abl_/);
  const response = await http(`${server.url}/api/auth/session`, { method: "POST", body: { code } });
  const setCookie = response.headers.getSetCookie();
  const session = setCookie.map((c) => /^agentboard_session=([^;]+)/.exec(c)?.[1]).find(Boolean);
  return { code: code!, response, setCookie, cookie: session ? `agentboard_session=${session}` : undefined };
}

/** Polls the owner's dashboard until widget `id` has `status` (bounded); returns the widget. */
async function waitForWidget(server: CliServer, cookie: string, id: string, status: string) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const doc = await http(`${server.url}/api/dashboards/me/state`, { headers: { cookie } });
    const widget = doc.body.state?.widgets?.[id];
    if (widget?.status === status) return widget;
    if (Date.now() > deadline) throw new Error(`widget ${id} is ${JSON.stringify(widget)}, not ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("agentboard start", () => {
  it("serves a fresh data dir, prints a working one-time login URL, and login-url prints a new one", async () => {
    const dataDir = makeTempDir();
    const server = await startCliServer({ dataDir });
    try {
      expect(server.port).toBeGreaterThan(0);
      expect(new URL(server.loginUrl).origin).toBe(server.url);

      const ready = await http(`${server.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: "ok", components: { sqlite: { status: "ok" } } });

      const first = await signIn(server, server.loginUrl);
      expect(first.response.status).toBe(200);
      expect(first.setCookie.join("\n")).toMatch(/HttpOnly/i);
      expect(first.cookie).toBeDefined();

      const me = await http(`${server.url}/api/me`, { headers: { cookie: first.cookie! } });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({
        principal: { kind: "user", name: "admin", role: "owner" },
        workspace: { name: "default" },
      });

      const again = await http(`${server.url}/api/auth/session`, {
        method: "POST",
        body: { code: first.code },
      });
      expect(again.status).toBe(401);
      expect(again.body).toMatchObject({ error: "unauthorized" });
      expect(again.headers.getSetCookie()).toEqual([]);

      const fresh = await runCli(["login-url", "--data-dir", dataDir, "--port", String(server.port)]);
      expect(fresh.code, fresh.stderr).toBe(0);
      const freshUrl = lastLine(fresh.stdout);
      expect(freshUrl.startsWith(`${server.url}/?login=abl_`)).toBe(true);
      expect(freshUrl).not.toBe(server.loginUrl);

      const second = await signIn(server, freshUrl);
      expect(second.response.status).toBe(200);
      const meAgain = await http(`${server.url}/api/me`, { headers: { cookie: second.cookie! } });
      expect(meAgain.body).toEqual(me.body);
    } finally {
      await server.stop();
    }
  });

  // Regression: the allowed Origin for cookie writes once came from config.port (0) instead of the real port.
  it("--port 0: a browser session on the printed URL can write (Origin = the printed origin)", async () => {
    const server = await startCliServer({ dataDir: makeTempDir() });
    try {
      const { cookie } = await signIn(server, server.loginUrl);
      const write = (origin: string) =>
        http(`${server.url}/api/dashboards/me/state`, {
          method: "PATCH",
          headers: { cookie: cookie!, origin },
          body: { baseRev: 0, ops: [{ op: "add", path: "/preferences/theme", value: "dark" }] },
        });
      expect((await write("http://evil.example")).status).toBe(403);
      const own = await write(server.url);
      expect(own.status, JSON.stringify(own.body)).toBe(200);
      expect((await write("http://127.0.0.1:0")).status).toBe(403);
    } finally {
      await server.stop();
    }
  });

  it("--demo fills the owner's dashboard with widgets of every catalogue type, one backed by its A2A agent", {
    timeout: 90_000,
  }, async () => {
    const dataDir = makeTempDir();
    const server = await startCliServer({ dataDir, args: ["--demo"] });
    let cardUrl = "";
    try {
      const { cookie } = await signIn(server, server.loginUrl);
      const doc = await http(`${server.url}/api/dashboards/me/state`, { headers: { cookie: cookie! } });
      expect(doc.status).toBe(200);
      const widgets = Object.values(doc.body.state.widgets) as { type: string }[];
      const types = new Set(widgets.map((w) => w.type));
      expect(WIDGET_TYPES).toHaveLength(8);
      expect([...types].sort()).toEqual([...WIDGET_TYPES].sort());

      // The demo's A2A status agent (the SDK's server side, on a loopback port) is in the directory by its
      // card URL, already healthy, and backs the "Service status" widget: the server loaded it over A2A.
      const agents = await http(`${server.url}/api/agents`, { headers: { cookie: cookie! } });
      const remote = (agents.body.items as { id: string; kind: string; cardUrl: string }[]).filter(
        (agent) => agent.kind === "a2a",
      );
      expect(remote).toEqual([
        expect.objectContaining({
          name: "Service status agent",
          status: "healthy",
          skills: [{ id: "service_status", name: "Service status" }],
          cardUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/\.well-known\/agent-card\.json$/),
        }),
      ]);
      const agent = remote[0]!;
      // The demo's own agents carry display names in the directory (the app shows those, not their ids).
      const local = (agents.body.items as { kind: string; name: string; displayName: string }[])
        .filter((item) => item.kind === "local")
        .map((item) => [item.name, item.displayName]);
      expect(local).toEqual(
        expect.arrayContaining([
          ["demo-approval-agent", "Deploy agent"],
          ["demo-board-agent", "Dashboard agent"],
        ]),
      );
      cardUrl = agent.cardUrl;
      const bound = await waitForWidget(server, cookie!, "service-status", "ready");
      expect(bound).toMatchObject({
        type: "metrics",
        source: { kind: "agent", agentId: agent.id, skill: "service_status" },
      });
      expect(bound.props.items.map((item: { label: string }) => item.label)).toEqual([
        "API uptime",
        "Error rate",
        "Queue depth",
        "Status checks",
      ]);

      // Retry (a refresh) asks the agent again over A2A: its check counter moves by exactly one.
      const checks = (widget: { props: { items: { label: string; value: number }[] } }) =>
        widget.props.items.find((item) => item.label === "Status checks")?.value;
      const refresh = await http(`${server.url}/api/dashboards/me/widgets/service-status/refresh`, {
        method: "POST",
        headers: { cookie: cookie!, origin: server.url },
      });
      expect(refresh.status).toBe(202);
      const refreshed = await waitForWidget(server, cookie!, "service-status", "ready");
      expect(checks(refreshed)).toBe(checks(bound)! + 1);

      // The loopback exception is that agent's origin alone: another loopback card URL is still refused.
      const other = await http(`${server.url}/api/agents`, {
        method: "POST",
        headers: { cookie: cookie!, origin: server.url },
        body: { cardUrl: `${new URL(cardUrl).origin.replace(/:\d+$/, ":9")}/.well-known/agent-card.json` },
      });
      expect(other.status).toBe(422);
      expect(other.body.message).toMatch(/loopback/);
    } finally {
      expect((await server.stop()).code).toBe(0);
    }
    // It stops with the server and leaves the directory: nothing listens there, and a start without
    // --demo shows no remote agent.
    await expect(fetch(cardUrl)).rejects.toThrow();
    const again = await startCliServer({ dataDir });
    try {
      const { cookie } = await signIn(again, again.loginUrl);
      const agents = await http(`${again.url}/api/agents`, { headers: { cookie: cookie! } });
      expect((agents.body.items as { kind: string }[]).filter((agent) => agent.kind === "a2a")).toEqual([]);
    } finally {
      await again.stop();
    }
  });

  it("a --demo server killed with SIGKILL leaves no dead status agent behind at the next --demo start", {
    timeout: 90_000,
  }, async () => {
    const dataDir = makeTempDir();
    const first = await startCliServer({ dataDir, args: ["--demo"] });
    expect(await first.stop("SIGKILL")).toMatchObject({ signal: "SIGKILL" });
    const second = await startCliServer({ dataDir, args: ["--demo"] });
    try {
      const { cookie } = await signIn(second, second.loginUrl);
      const agents = await http(`${second.url}/api/agents`, { headers: { cookie: cookie! } });
      const remote = (agents.body.items as { kind: string }[]).filter((agent) => agent.kind === "a2a");
      // The first run's agent (a port nobody serves now) was removed; only this run's is there, healthy.
      expect(remote).toEqual([expect.objectContaining({ name: "Service status agent", status: "healthy" })]);
    } finally {
      await second.stop();
    }
  });
});

describe("agentboard token create", () => {
  it("prints an agent token on the last line that authenticates against a server on the same data dir", async () => {
    const dataDir = makeTempDir();
    const created = await runCli([
      "token",
      "create",
      "--kind",
      "agent",
      "--name",
      "bot",
      "--data-dir",
      dataDir,
    ]);
    expect(created.code, created.stderr).toBe(0);
    const token = lastLine(created.stdout);
    expect(token).toMatch(/^ab_[A-Za-z0-9_-]{20,}$/);

    const server = await startCliServer({ dataDir });
    try {
      const me = await http(`${server.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({
        principal: { kind: "agent", name: "bot" },
        workspace: { name: "default" },
      });
      expect(me.body.principal.role).toBeUndefined();

      const forged = await http(`${server.url}/api/me`, { headers: { authorization: `Bearer ${token}x` } });
      expect(forged.status).toBe(401);

      // A workspace that does not exist yet is created, and a user token carries its role (made while the
      // server runs: the CLI and the server share the store).
      const viewer = await runCli([
        "token",
        "create",
        "--kind",
        "user",
        "--name",
        "vera",
        "--role",
        "viewer",
        "--workspace",
        "team-b",
        "--data-dir",
        dataDir,
      ]);
      expect(viewer.code, viewer.stderr).toBe(0);
      const viewerMe = await http(`${server.url}/api/me`, {
        headers: { authorization: `Bearer ${lastLine(viewer.stdout)}` },
      });
      expect(viewerMe.status).toBe(200);
      expect(viewerMe.body).toMatchObject({
        principal: { kind: "user", name: "vera", role: "viewer" },
        workspace: { name: "team-b" },
      });
      expect(viewerMe.body.workspace.id).not.toBe(me.body.workspace.id);
    } finally {
      await server.stop();
    }
  });

  it("token list shows ids and holders (never secrets); token revoke closes a running server's sockets of that token within 1 s", async () => {
    const dataDir = makeTempDir();
    const created = await runCli([
      "token",
      "create",
      "--kind",
      "agent",
      "--name",
      "bot",
      "--data-dir",
      dataDir,
    ]);
    expect(created.code, created.stderr).toBe(0);
    const token = lastLine(created.stdout);
    const server = await startCliServer({ dataDir });
    try {
      const listed = await runCli(["token", "list", "--data-dir", dataDir]);
      expect(listed.code, listed.stderr).toBe(0);
      expect(listed.stdout).not.toContain(token);
      const row = listed.stdout.split("\n").find((line) => line.includes("agent bot"));
      const id = /^(tok_\S+)\s+api\s/.exec(row ?? "")?.[1];
      expect(id, listed.stdout).toBeDefined();
      const json = await runCli(["token", "list", "--json", "--data-dir", dataDir]);
      expect(JSON.parse(json.stdout).items).toContainEqual(
        expect.objectContaining({ id, tokenKind: "api", kind: "agent", name: "bot" }),
      );

      // The CLI is another process on the same SQLite file; the server finds the revocation there.
      const socket = new WsClient(
        await openSocket(`${server.url.replace("http", "ws")}/api/realtime`, {
          authorization: `Bearer ${token}`,
        }),
      );
      const revoked = await runCli(["token", "revoke", id!, "--data-dir", dataDir]);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(await socket.closed(1_000)).toBe(CLOSE_CODES.unauthorized);
      const me = await http(`${server.url}/api/me`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(401);
      expect((await runCli(["token", "list", "--data-dir", dataDir])).stdout).not.toContain(id!);

      const unknown = await runCli(["token", "revoke", "tok_nope", "--data-dir", dataDir]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain("tok_nope");
    } finally {
      await server.stop();
    }
  });

  // Bad usage exits 2 ("Exit codes: 1 runtime failure, 2 bad usage or configuration"), also for commander's
  // own parse errors (unknown option, missing --name, bad --role choice, bad --timeout).
  it("--kind robot is a usage error (exit 2) with a message naming the allowed kinds", async () => {
    const dataDir = makeTempDir();
    const result = await runCli([
      "token",
      "create",
      "--kind",
      "robot",
      "--name",
      "bot",
      "--data-dir",
      dataDir,
    ]);
    expect(result.stderr).toMatch(/--kind/);
    expect(result.stderr).toMatch(/robot/);
    expect(result.stderr).toMatch(/user, agent/);
    expect(result.stdout).not.toMatch(/ab_/);
    expect(readdirSync(dataDir)).toEqual([]);
    expect(result.code).toBe(2);
  });

  it("--workspace Bad_Name is a usage error (exit 2) and creates nothing", async () => {
    const dataDir = makeTempDir();
    const result = await runCli([
      "token",
      "create",
      "--kind",
      "agent",
      "--name",
      "bot",
      "--workspace",
      "Bad_Name",
      "--data-dir",
      dataDir,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--workspace/);
    expect(result.stderr).toMatch(/Bad_Name/);
    expect(result.stdout).not.toMatch(/ab_/);
    expect(readdirSync(dataDir)).toEqual([]);
  });
});

describe("configuration errors stop the start with one line and exit 2", () => {
  const startWith = async (env: Record<string, string>, extraArgs: string[] = []) => {
    const dataDir = makeTempDir();
    const result = await runCli(["start", "--port", "0", "--data-dir", dataDir, ...extraArgs], {
      env: { AGENTBOARD_LOG_LEVEL: "warn", ...env },
    });
    // A refused start must not have opened (created) the store either.
    return { ...result, files: readdirSync(dataDir) };
  };
  const oneLine = (stderr: string) => stderr.trimEnd().split("\n");

  it.each(["0", "366"])("AGENTBOARD_STATE_TTL_DAYS=%s", async (value) => {
    const result = await startWith({ AGENTBOARD_STATE_TTL_DAYS: value });
    expect(result.code).toBe(2);
    expect(oneLine(result.stderr)).toHaveLength(1);
    expect(result.stderr).toContain("AGENTBOARD_STATE_TTL_DAYS");
    expect(result.stderr).toContain("1 to 365");
    expect(result.stderr).toContain(`"${value}"`);
    expect(result.stdout).not.toMatch(/running at|login=/);
    expect(result.files).toEqual([]);
  });

  it("--port 70000", async () => {
    const result = await startWith({}, ["--port", "70000"]);
    expect(result.code).toBe(2);
    expect(oneLine(result.stderr)).toHaveLength(1);
    expect(result.stderr).toContain("--port");
    expect(result.stderr).toContain("0 to 65535");
    expect(result.files).toEqual([]);
  });

  it("only AGENTBOARD_REDIS_URL set names the missing AGENTBOARD_DATABASE_URL", async () => {
    const result = await startWith({ AGENTBOARD_REDIS_URL: "redis://127.0.0.1:6379" });
    expect(result.code).toBe(2);
    expect(oneLine(result.stderr)).toHaveLength(1);
    expect(result.stderr).toContain("AGENTBOARD_DATABASE_URL");
    expect(result.files).toEqual([]);
  });
});

describe("agentboard wait-ready", () => {
  it("fails with diagnostics naming the port and the attempts when nothing listens", async () => {
    const port = await freePort();
    const result = await runCli(["wait-ready", "--url", `http://127.0.0.1:${port}`, "--timeout", "1"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("(timeout)");
    expect(result.stderr).toMatch(new RegExp(`port:\\s+${port}\\b`));
    expect(result.stderr).toMatch(/attempts:\s+[1-9]\d*/);
    expect(result.stderr).toContain("ECONNREFUSED");
  });

  it("fails at once when the --pid process exits, saying so", async () => {
    const port = await freePort();
    // A stand-in for a server that dies during start-up.
    const doomed = spawnTracked(process.execPath, ["-e", "setTimeout(() => process.exit(3), 500)"]);
    // --timeout 600 is far beyond the runCli bound: only noticing the exit can finish this run in time.
    const result = await runCli(
      ["wait-ready", "--url", `http://127.0.0.1:${port}`, "--timeout", "600", "--pid", String(doomed.pid)],
      { timeoutMs: 25_000 },
    );
    expect(await doomed.exited).toEqual({ code: 3, signal: null });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`process ${doomed.pid} exited`);
    expect(result.stderr).toContain("(process_exited)");
  });
});

describe("--help", () => {
  it("lists the commands at the root", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    for (const command of ["start", "login-url", "token", "wait-ready"]) {
      expect(result.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, "m"));
    }
  });

  it("lists the options of start", async () => {
    const result = await runCli(["start", "--help"]);
    expect(result.code).toBe(0);
    for (const option of ["--port", "--host", "--data-dir", "--demo", "--config"]) {
      expect(result.stdout).toContain(option);
    }
  });
});
