import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { rawRequest } from "./raw-request.js";
import {
  approvalPolicyFromConfig,
  buildApp,
  type Config,
  createLogger,
  DEFAULT_AGENT_SCOPES,
  type EmbeddedRuntime,
  loadConfig,
  openEmbeddedRuntime,
  type Principal,
} from "./server-internals.js";

export interface Caller {
  principal: Principal;
  token: string;
  /** fetch against the server with this caller's bearer token; JSON in and out. */
  request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

export interface TestServer {
  app: FastifyInstance;
  runtime: EmbeddedRuntime;
  config: Config;
  url: string;
  dataDir: string;
  /** Creates (or reuses) a principal in `workspace` and gives it a fresh token. */
  caller(options: {
    kind?: "user" | "agent";
    name: string;
    role?: "owner" | "admin" | "member" | "viewer";
    workspace?: string;
    scopes?: string[];
  }): Promise<Caller>;
  raw(
    method: string,
    path: string,
    init?: { headers?: Record<string, string>; body?: string },
  ): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/**
 * A real server on an ephemeral port over a fresh SQLite file in a temp dir: the public surface tests drive
 * through real HTTP. Each call gets its own data dir, so tests run in parallel and twice in a row.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  /** `port` (default ephemeral) lets a test restart a server where its clients will look for it again. */
  options: { dataDir?: string; port?: number } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "agentboard-test-"));
  const config = loadConfig({
    env: { AGENTBOARD_LOG_LEVEL: "silent", NODE_ENV: "test", ...env },
    flags: { port: options.port ?? 0, dataDir },
  });
  const logger = createLogger(config.logLevel);
  const runtime = await openEmbeddedRuntime({
    dataDir,
    patchLogLimit: config.patchLogLimit,
    dashboardSync: config.dashboardSync,
    log: logger,
    approvalPolicy: approvalPolicyFromConfig(config),
  });
  const app = await buildApp(config, runtime, logger);
  await app.listen({ port: options.port ?? 0, host: "127.0.0.1" });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;

  const raw = rawRequest(url);

  return {
    app,
    runtime,
    config,
    url,
    dataDir,
    raw,
    async caller({ kind = "user", name, role, workspace = "default", scopes }) {
      const ws = await runtime.identity.ensureWorkspace(workspace);
      const principal = await runtime.identity.ensurePrincipal({
        workspace: ws,
        kind,
        name,
        role: kind === "user" ? (role ?? "member") : undefined,
        scopes: kind === "agent" ? (scopes ?? DEFAULT_AGENT_SCOPES) : undefined,
      });
      const { secret } = await runtime.identity.issueSecret(principal, "api");
      return {
        principal,
        token: secret,
        async request(method, path, body) {
          const headers: Record<string, string> = { authorization: `Bearer ${secret}` };
          if (body !== undefined) headers["content-type"] = "application/json";
          const result = await raw(method, path, {
            headers,
            body: body === undefined ? undefined : JSON.stringify(body),
          });
          return { status: result.status, body: result.body };
        },
      };
    },
    async close() {
      await app.close();
      await runtime.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A valid widget body of each kind the tests need. */
export function noteWidget(markdown = "hello") {
  return { type: "note", title: "Note", props: { markdown } };
}
