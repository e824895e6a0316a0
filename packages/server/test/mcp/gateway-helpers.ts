import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { McpServerStatus } from "@agentboard/protocol";
import { callersForSuite, freePort, startTestServer } from "@agentboard/test-support";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll } from "vitest";

const root = (path: string) => fileURLToPath(new URL(`../../../../${path}`, import.meta.url));

/** The official servers, installed from npm (dev dependencies), run with this Node. */
export const EVERYTHING = root("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
export const MEMORY = root("node_modules/@modelcontextprotocol/server-memory/dist/index.js");
/** Our own misbehaving server (slow start, exit, hang, stalled calls, an execution counter). */
export const FIXTURE = fileURLToPath(new URL("./fixtures/fixture-server.mjs", import.meta.url));

export const stdio = (script: string, args: string[] = [], extra: Record<string, unknown> = {}) => ({
  command: process.execPath,
  args: [script, ...args],
  ...extra,
});

/**
 * Resolves once `predicate` holds for the gateway's servers, checked at every change the gateway reports
 * (event-driven, no polling); rejects with the last statuses after `timeoutMs`.
 */
export function waitForServers(
  app: FastifyInstance,
  predicate: (servers: Map<string, McpServerStatus>) => boolean,
  timeoutMs = 20_000,
): Promise<Map<string, McpServerStatus>> {
  const gateway = app.mcpGateway;
  const read = () => new Map(gateway.servers().map((s) => [s.name, s]));
  return new Promise((resolve, reject) => {
    let unsubscribe = () => {};
    const timer = setTimeout(() => {
      unsubscribe();
      reject(
        new Error(`MCP servers did not get there in ${timeoutMs} ms: ${JSON.stringify(gateway.servers())}`),
      );
    }, timeoutMs);
    const check = () => {
      const servers = read();
      if (!predicate(servers)) return;
      clearTimeout(timer);
      unsubscribe();
      resolve(servers);
    };
    unsubscribe = gateway.onChange(check);
    check();
  });
}

/** server-everything in its Streamable HTTP mode on a free loopback port; resolves once it listens. */
export async function startEverythingHttp(): Promise<{
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}> {
  const port = await freePort();
  const child = spawn(process.execPath, [EVERYTHING, "streamableHttp"], {
    env: { PATH: process.env.PATH ?? "", PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("server-everything (HTTP) did not start in 15 s")),
      15_000,
    );
    const onData = (chunk: Buffer) => {
      if (chunk.toString().includes("listening")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server-everything (HTTP) exited with ${code}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGKILL");
      }),
  };
}

/** The text of a tool result's first text part. */
export function textOf(result: { content?: Array<Record<string, unknown>> }): string {
  const part = result.content?.find((p) => p.type === "text");
  return typeof part?.text === "string" ? part.text : "";
}

/**
 * A temporary directory for the enclosing suite, created before its first test and removed after its last,
 * and the file in it where the fixture server counts its executions (FIXTURE_COUNTER_FILE). The paths are
 * known at once, so a suite's server settings can name them.
 */
export function fixtureFiles(prefix: string): { dir: string; counter: string } {
  const dir = join(tmpdir(), `${prefix}${randomBytes(6).toString("hex")}`);
  beforeAll(() => mkdirSync(dir));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, counter: join(dir, "executions.log") };
}

/**
 * One server for the enclosing suite whose gateway has the upstream `name` (run from `script`) connected,
 * and a member, `user`, to call it as; read `t.server` and `t.user` inside tests.
 */
export function upstreamForSuite(name: string, script: string) {
  return callersForSuite({ user: { name: "alice", role: "member" } }, async () => {
    const server = await startTestServer({
      AGENTBOARD_MCP_SERVERS: JSON.stringify({ [name]: stdio(script) }),
    });
    try {
      await waitForServers(server.app, (servers) => servers.get(name)?.status === "connected");
    } catch (error) {
      await server.close();
      throw error;
    }
    return server;
  });
}
