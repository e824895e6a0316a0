import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import {
  DATABASE_URL,
  deletePrefix,
  dropSchemaNamed,
  REDIS_URL,
  randomPrefix,
  randomSchema,
  testRedis,
} from "./backing-services.js";
import { TcpBalancer } from "./network.js";
import { rawRequest } from "./raw-request.js";
import {
  approvalPolicyFromConfig,
  buildApp,
  type ClusterRuntime,
  type ClusterTimeouts,
  type Config,
  createLogger,
  DEFAULT_AGENT_SCOPES,
  loadConfig,
  openClusterRuntime,
} from "./server-internals.js";
import type { Caller, TestServer } from "./test-server.js";

export interface ClusterNode {
  app: FastifyInstance;
  runtime: ClusterRuntime;
  config: Config;
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface ClusterSettings {
  prefix: string;
  schema: string;
  redisUrl?: string;
  databaseUrl?: string;
  env?: Record<string, string>;
  timeouts?: ClusterTimeouts;
  /** Listen here (a restarted node keeps its address); ephemeral by default. */
  port?: number;
}

/** One cluster node in this process: a real Fastify server on its own port with its own connections. */
export async function startClusterNode(settings: ClusterSettings): Promise<ClusterNode> {
  const redisUrl = settings.redisUrl ?? REDIS_URL;
  const databaseUrl = settings.databaseUrl ?? DATABASE_URL;
  const dataDir = mkdtempSync(join(tmpdir(), "agentboard-cluster-node-"));
  const config = loadConfig({
    env: {
      AGENTBOARD_LOG_LEVEL: "silent",
      NODE_ENV: "test",
      AGENTBOARD_REDIS_URL: redisUrl,
      AGENTBOARD_DATABASE_URL: databaseUrl,
      AGENTBOARD_REDIS_PREFIX: settings.prefix,
      ...settings.env,
    },
    flags: { port: settings.port ?? 0, dataDir },
  });
  const logger = createLogger(config.logLevel);
  const runtime = await openClusterRuntime({
    redisUrl,
    databaseUrl,
    redisPrefix: settings.prefix,
    stateTtlDays: config.stateTtlDays,
    patchLogLimit: config.patchLogLimit,
    log: logger,
    approvalPolicy: approvalPolicyFromConfig(config),
    postgresSchema: settings.schema,
    timeouts: settings.timeouts,
  });
  const app = await buildApp(config, runtime, logger);
  await app.listen({ port: settings.port ?? 0, host: "127.0.0.1" });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    app,
    runtime,
    config,
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      await app.close();
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** HTTP against `baseUrl` as `token`; JSON in and out (the body is the text when it is not JSON). */
export async function requestAs(
  baseUrl: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(baseUrl + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON
  }
  return { status: response.status, body: parsed };
}

/** N nodes on one fresh Redis prefix and PostgreSQL schema; `close` stops them and removes the data. */
export interface Cluster {
  nodes: ClusterNode[];
  prefix: string;
  schema: string;
  /** A principal with a token; `request` goes to `node` (default 0). */
  caller(options: {
    kind?: "user" | "agent";
    name: string;
    role?: "owner" | "admin" | "member" | "viewer";
    workspace?: string;
    node?: number;
  }): Promise<Caller>;
  /** A principal's token used against another node's URL. */
  on(caller: Caller, node: number): Caller;
  close(): Promise<void>;
}

export async function startCluster(
  options: {
    nodes?: number;
    env?: Record<string, string>;
    timeouts?: ClusterTimeouts;
    redisUrl?: string;
    databaseUrl?: string;
  } = {},
): Promise<Cluster> {
  const prefix = randomPrefix();
  const schema = randomSchema();
  const settings: ClusterSettings = { ...options, prefix, schema };
  // The first node creates and migrates the schema; the others then start together.
  const first = await startClusterNode(settings);
  const rest = await Promise.all(
    Array.from({ length: (options.nodes ?? 2) - 1 }, () => startClusterNode(settings)),
  );
  const nodes = [first, ...rest];
  const on = (caller: Caller, node: number): Caller => ({
    ...caller,
    request: (method, path, body) => requestAs(nodes[node]!.url, caller.token, method, path, body),
  });
  return {
    nodes,
    prefix,
    schema,
    on,
    async caller({ kind = "user", name, role, workspace = "default", node = 0 }) {
      const identity = first.runtime.identity;
      const ws = await identity.ensureWorkspace(workspace);
      const principal = await identity.ensurePrincipal({
        workspace: ws,
        kind,
        name,
        role: kind === "user" ? (role ?? "member") : undefined,
        scopes: kind === "agent" ? DEFAULT_AGENT_SCOPES : undefined,
      });
      const { secret } = await identity.issueSecret(principal, "api");
      return on({ principal, token: secret, request: async () => ({ status: 0, body: undefined }) }, node);
    },
    async close() {
      const admin = testRedis(options.redisUrl);
      try {
        await Promise.allSettled(nodes.map((node) => node.close()));
        await deletePrefix(admin, prefix);
      } finally {
        admin.disconnect();
        await dropSchemaNamed(schema);
      }
    },
  };
}

/**
 * `startTestServer` in cluster mode (describeEachMode's `CLUSTER`): two nodes behind a round-robin TCP
 * balancer, so a test's REST calls and WebSockets land on either node (tickets, fan-out and waits cross
 * nodes). `runtime` is node 0's, with `sqlite.db` pointing at PostgreSQL for the suites that read the
 * relational store.
 */
export async function startClusterTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const cluster = await startCluster({ nodes: 2, env });
  const balancer = new TcpBalancer(cluster.nodes.map((node) => node.port));
  const url = await balancer.listen();
  const first = cluster.nodes[0]!;
  const raw = rawRequest(url);
  const runtime = {
    ...first.runtime,
    sqlite: { db: first.runtime.db, file: "(postgresql)", close: () => first.runtime.postgres.close() },
  };
  return {
    app: first.app,
    runtime: runtime as unknown as TestServer["runtime"],
    config: first.config,
    url,
    dataDir: "",
    raw,
    async caller({ kind = "user", name, role, workspace = "default", scopes }) {
      const caller = await cluster.caller({ kind, name, role, workspace });
      if (kind === "agent" && scopes) {
        await first.runtime.db
          .updateTable("principals")
          .set({ scopes: JSON.stringify(scopes) })
          .where("id", "=", caller.principal.id)
          .execute();
        caller.principal.scopes = scopes;
      }
      return { ...caller, request: (method, path, body) => requestAs(url, caller.token, method, path, body) };
    },
    async close() {
      await balancer.close();
      await cluster.close();
    },
  };
}
