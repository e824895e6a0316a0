import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { Redis } from "ioredis";
import { sql } from "kysely";
import pg from "pg";
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
  openPostgres,
  type PostgresHandle,
} from "./server-internals.js";
import type { Caller, TestServer } from "./test-server.js";

/** The services every development and CI machine runs (docs/engineering.md). */
export const REDIS_URL = process.env.AGENTBOARD_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
export const DATABASE_URL =
  process.env.AGENTBOARD_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export const quietLog = { warn() {}, error() {}, info() {} };

/** A key prefix no other test uses: `agentboard-test:<random>:`. */
export function randomPrefix(): string {
  return `agentboard-test:${randomBytes(6).toString("hex")}:`;
}

/** A schema name no other test uses. */
export function randomSchema(): string {
  return `agentboard_test_${randomBytes(6).toString("hex")}`;
}

/** Deletes every key under `prefix` (SCAN, never KEYS: other tests share this Redis). */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
}

/** A plain client for test bookkeeping (not the product's fail-fast connection). */
export function testRedis(url = REDIS_URL): Redis {
  return new Redis(url, { maxRetriesPerRequest: 1 });
}

/** A migrated PostgreSQL schema of its own; `drop` removes it with everything in it. */
export async function freshPostgres(): Promise<PostgresHandle & { drop(): Promise<void> }> {
  const schema = randomSchema();
  const handle = await openPostgres({ url: DATABASE_URL, schema, log: quietLog });
  return { ...handle, drop: () => dropSchema(handle, schema) };
}

async function dropSchema(handle: PostgresHandle, schema: string): Promise<void> {
  try {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(handle.db);
  } finally {
    await handle.close();
  }
}

/** Drops `schema` over a plain connection: opening the product's store for it would run migrations first. */
async function dropSchemaNamed(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

/** The database URL that puts a connection in `schema` (how CLI-started nodes get their own schema). */
export function databaseUrlFor(schema: string): string {
  const url = new URL(DATABASE_URL);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return url.toString();
}

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
 * A TCP load balancer in front of several nodes: each new connection goes to the next upstream in turn,
 * skipping one that refuses (a node that was killed), which is what clients of a real cluster see.
 * `block()` makes it refuse and cut everything (an unreachable store); `blackhole()` accepts and then
 * forwards nothing (a network that drops packets).
 */
export class TcpBalancer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private next = 0;
  private mode: "open" | "blocked" | "blackhole" = "open";
  port = 0;

  constructor(private upstreams: number[]) {
    this.server = createServer((client) => this.accept(client));
  }

  async listen(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, "127.0.0.1", resolve));
    const address = this.server.address();
    this.port = typeof address === "object" && address ? address.port : 0;
    return `http://127.0.0.1:${this.port}`;
  }

  setUpstreams(ports: number[]): void {
    this.upstreams = ports;
  }

  block(): void {
    this.mode = "blocked";
    this.cutAll();
  }

  blackhole(): void {
    this.mode = "blackhole";
    this.cutAll();
  }

  open(): void {
    this.mode = "open";
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private cutAll(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    socket.on("error", () => {});
  }

  private accept(client: Socket): void {
    this.track(client);
    if (this.mode === "blocked") {
      client.destroy();
      return;
    }
    if (this.mode === "blackhole") return;
    client.pause();
    const attempt = (tried: number) => {
      if (tried >= this.upstreams.length) {
        client.destroy();
        return;
      }
      const port = this.upstreams[this.next++ % this.upstreams.length]!;
      const upstream = tcpConnect(port, "127.0.0.1");
      let connected = false;
      upstream.once("connect", () => {
        connected = true;
        this.track(upstream);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
        client.once("close", () => upstream.destroy());
        upstream.once("close", () => client.destroy());
      });
      upstream.once("error", () => {
        if (!connected) attempt(tried + 1);
        else client.destroy();
      });
    };
    attempt(0);
  }
}

/** A free TCP port on 127.0.0.1 (bound and released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * A redis-server of the test's own (its own port and data dir, AOF with fsync on every write so a restart
 * keeps every acknowledged write), for fault tests that stop, restart or DEBUG SLEEP Redis without
 * disturbing the shared instance other tests use. Always `stop()` it in a finally.
 */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  readonly dir = mkdtempSync(join(tmpdir(), "agentboard-redis-"));
  port = 0;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const child = spawn(
      "redis-server",
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--dir",
        this.dir,
        "--save",
        "",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--enable-debug-command",
        "yes",
      ],
      { stdio: "ignore" },
    );
    this.child = child;
    const client = new Redis(this.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on("error", () => {});
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await client.connect();
          if ((await client.ping()) === "PONG") return;
        } catch (error) {
          if (attempt > 100 || child.exitCode !== null) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    } finally {
      client.disconnect();
    }
  }

  /** SIGKILL by PID, as a crash would; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    this.child = undefined;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
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
