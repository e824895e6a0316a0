import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { sql } from "kysely";
import type { ApprovalPolicy } from "../approvals/approval-policy.js";
import { WorkspaceQueuedApprovalStore } from "../approvals/workspace-queued-approval-store.js";
import { RedisDashboardDirectory } from "../dashboards/redis-dashboard-directory.js";
import { RedisDashboardStore } from "../dashboards/redis-dashboard-store.js";
import { RedisEventBus } from "../events/redis-event-bus.js";
import { RedisMcpSessionDirectory } from "../mcp/server/session-directory.js";
import { RedisSweepLock } from "../mesh/sweep-lock.js";
import { RedisTicketStore } from "../realtime/redis-ticket-store.js";
import { openPostgres, type PostgresHandle } from "../storage/postgres.js";
import { closeRedis, connectRedis, createRedisClient } from "../storage/redis.js";
import { createServices, type ServerRuntime } from "./services.js";

export interface ClusterRuntime extends ServerRuntime {
  mode: "cluster";
  /** This node's id in bus frames and Redis CLIENT LIST names. */
  nodeId: string;
  bus: RedisEventBus;
  /** The command connection (stores, PUBLISH, tickets). */
  redis: Redis;
  postgres: PostgresHandle;
}

export interface ClusterTimeouts {
  /** A Redis command without a reply after this long fails with 503 (default 2 s). */
  redisCommandMs?: number;
  /** A Redis (re)connection attempt gives up after this long (default 2 s). */
  redisConnectMs?: number;
  /** A new PostgreSQL connection gives up after this long (default 2 s). */
  postgresConnectMs?: number;
  /** Longest PostgreSQL statement (default 5 s). */
  postgresQueryMs?: number;
}

export interface ClusterRuntimeOptions {
  redisUrl: string;
  databaseUrl: string;
  /** AGENTBOARD_REDIS_PREFIX */
  redisPrefix: string;
  stateTtlDays: number;
  patchLogLimit: number;
  log: { error(details: object, message: string): void; warn(details: object, message: string): void };
  approvalPolicy?: ApprovalPolicy;
  /** As in embedded mode: servers arm approval expiry timers; administrative commands do not. */
  armApprovalTimers?: boolean;
  nodeId?: string;
  timeouts?: ClusterTimeouts;
  /** Put the tables in this PostgreSQL schema (created if missing); default: the URL's search_path. */
  postgresSchema?: string;
}

/**
 * One stateless node of a cluster: dashboard documents, the patch log, idempotency records, realtime
 * tickets and the event bus in Redis; workspaces, tokens, approvals and the audit chain in PostgreSQL
 * through the same Kysely code and migrations as the embedded SQLite file. Any number of nodes can run on
 * the same Redis prefix and database; clients may reach any of them.
 */
export async function openClusterRuntime(options: ClusterRuntimeOptions): Promise<ClusterRuntime> {
  const nodeId = options.nodeId ?? randomBytes(6).toString("hex");
  const timeouts = options.timeouts ?? {};
  const postgres = await openPostgres({
    url: options.databaseUrl,
    schema: options.postgresSchema,
    connectTimeoutMs: timeouts.postgresConnectMs,
    queryTimeoutMs: timeouts.postgresQueryMs,
    log: options.log,
  });
  const connection = (role: string) =>
    createRedisClient({
      url: options.redisUrl,
      name: `agentboard:${role}:${nodeId}`,
      commandTimeoutMs: timeouts.redisCommandMs,
      connectTimeoutMs: timeouts.redisConnectMs,
      log: options.log,
    });
  const redis = connection("cmd");
  const subscriber = connection("sub");
  const closeConnections = async () => {
    await Promise.all([closeRedis(redis), closeRedis(subscriber)]);
    await postgres.close();
  };
  try {
    await Promise.all([connectRedis(redis, options.redisUrl), connectRedis(subscriber, options.redisUrl)]);
  } catch (error) {
    await closeConnections();
    throw error;
  }

  const bus = new RedisEventBus({
    publisher: redis,
    subscriber,
    prefix: options.redisPrefix,
    nodeId,
    onListenerError: (error, topic) => options.log.error({ err: error, topic }, "event listener failed"),
    log: options.log,
  });
  const dashboardStore = new RedisDashboardStore({
    redis,
    prefix: options.redisPrefix,
    stateTtlDays: options.stateTtlDays,
    // The commit may have landed without this node hearing back: everyone re-reads from the log.
    onUncertainCommit: () => bus.requestResync(),
  });
  const { identity, dashboards, approvals } = createServices({
    db: postgres.db,
    dashboardStore,
    bus,
    patchLogLimit: options.patchLogLimit,
    approvalPolicy: options.approvalPolicy,
    log: options.log,
    wrapApprovalStore: (store) => new WorkspaceQueuedApprovalStore(store),
  });
  try {
    await bus.start();
    if (options.armApprovalTimers !== false) await approvals.start();
  } catch (error) {
    approvals.close();
    await bus.close();
    await closeConnections();
    throw error;
  }

  return {
    mode: "cluster",
    nodeId,
    redis,
    postgres,
    db: postgres.db,
    identity,
    dashboards,
    dashboardDirectory: new RedisDashboardDirectory(redis, dashboardStore),
    approvals,
    bus,
    tickets: new RedisTicketStore(redis, options.redisPrefix),
    agentSweepLock: new RedisSweepLock(redis, `${options.redisPrefix}agents:sweep`),
    mcpSessionDirectory: new RedisMcpSessionDirectory(redis, options.redisPrefix),
    healthChecks: [
      {
        name: "redis",
        required: true,
        check: async () => {
          await redis.ping().catch((error: unknown) => {
            throw new Error(`Redis did not answer: ${describeFailure(error)}`);
          });
          // Without its subscription a node serves writes but its subscribers miss other nodes' changes.
          if (subscriber.status !== "ready") throw new Error(`pub/sub connection is ${subscriber.status}`);
        },
      },
      {
        name: "postgres",
        required: true,
        check: async () => {
          await sql`select 1`.execute(postgres.db).catch((error: unknown) => {
            throw new Error(`PostgreSQL did not answer: ${describeFailure(error)}`);
          });
        },
      },
    ],
    close: async () => {
      approvals.close();
      await bus.close();
      await closeConnections();
    },
  };
}

/**
 * What /readyz says about a failed store: the error code when there is one (ECONNREFUSED, 57P01…), else
 * the driver's message. /readyz needs no credentials, so it never shows a host or a URL (messages of errors
 * with codes often do).
 */
function describeFailure(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  return error instanceof Error ? error.message : String(error);
}
