import { A2A_VERSION_HEADER, formatSSEErrorEvent, formatSSEEvent, SSE_HEADERS } from "@a2a-js/sdk";
import { JsonRpcTransportHandler, validateVersion } from "@a2a-js/sdk/server";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type { Kysely } from "kysely";
import type { ApprovalService } from "../approvals/approval-service.js";
import { requireBearer } from "../auth/bearer.js";
import type { IdentityStore } from "../auth/identity-store.js";
import type { DashboardService } from "../dashboards/dashboard-service.js";
import type { EventBus } from "../events/event-bus.js";
import type { Database } from "../storage/schema.js";
import {
  A2A_PATH,
  AgentboardExecutor,
  AgentboardRequestHandler,
  ApprovalTaskSync,
  agentboardCard,
  agentboardCardJson,
  contextFor,
} from "./a2a-agent.js";
import { KyselyTaskStore } from "./a2a-task-store.js";

export const AGENT_CARD_ROUTE = "/.well-known/agent-card.json";

export interface A2aPluginOptions {
  approvals: ApprovalService;
  dashboards: DashboardService;
  identity: IdentityStore;
  bus: EventBus;
  db: Kysely<Database>;
  /** The origin other agents reach us at (the public URL, else the listening address). */
  origin: () => string;
}

/**
 * agentboard as an A2A agent (docs/a2a.md): its card at `/.well-known/agent-card.json` and JSON-RPC at
 * `/a2a` through the SDK's DefaultRequestHandler + JsonRpcTransportHandler, called from a Fastify route
 * (no Express). Callers authenticate with an API token (an agent's or a user's); tasks live in the
 * `a2a_tasks` table and follow their approvals through the `approval` bus topic.
 */
async function a2a(app: FastifyInstance, options: A2aPluginOptions): Promise<void> {
  const tasks = new KyselyTaskStore(options.db);
  const deps = {
    approvals: options.approvals,
    dashboards: options.dashboards,
    identity: options.identity,
    tasks,
  };
  const sync = new ApprovalTaskSync(deps);
  // The card's URL is only known once the server listens (port 0 in tests): built on first use.
  let transport: JsonRpcTransportHandler | undefined;
  let handler: AgentboardRequestHandler | undefined;
  const handlerOf = () => {
    if (!handler) {
      handler = new AgentboardRequestHandler(
        agentboardCard(options.origin()),
        deps,
        sync,
        new AgentboardExecutor(deps, sync),
      );
      transport = new JsonRpcTransportHandler(handler);
    }
    return { handler, transport: transport! };
  };

  const unsubscribe = options.bus.subscribe("approval", (event) => {
    sync.applyApproval(event.approval).catch((error: unknown) => {
      app.log.warn(
        { err: error, approvalId: event.approval.id },
        "a2a: could not apply an approval to its task",
      );
    });
  });
  app.addHook("onReady", async () => {
    const finished = await sync.reconcile();
    if (finished > 0) app.log.info({ finished }, "a2a: tasks caught up with approvals decided while down");
  });
  app.addHook("preClose", async () => unsubscribe());

  app.get(AGENT_CARD_ROUTE, { schema: { hide: true } }, async () => agentboardCardJson(options.origin()));

  const authenticate = requireBearer(options.identity);

  app.post(A2A_PATH, { schema: { hide: true }, onRequest: authenticate }, async (request, reply) => {
    const { handler, transport } = handlerOf();
    const version = request.headers[A2A_VERSION_HEADER.toLowerCase()];
    const context = contextFor(request.principal!, typeof version === "string" ? version : undefined);
    const body = (request.body ?? {}) as Record<string, unknown>;
    try {
      validateVersion(context.requestedVersion, await handler.getAgentCard(), "JSONRPC");
    } catch (error) {
      return { jsonrpc: "2.0", id: body.id ?? null, error: JsonRpcTransportHandler.mapToJSONRPCError(error) };
    }
    const result = await transport.handle(body, context);
    if (!(Symbol.asyncIterator in result)) return result;
    // SendStreamingMessage / SubscribeToTask: server-sent events, one JSON-RPC response per event.
    reply.hijack();
    reply.raw.writeHead(200, SSE_HEADERS);
    const stop = () => void result.return(undefined);
    request.raw.once("close", stop);
    try {
      for await (const event of result) reply.raw.write(formatSSEEvent(event));
    } catch (error) {
      reply.raw.write(
        formatSSEErrorEvent({
          jsonrpc: "2.0",
          id: body.id ?? null,
          error: JsonRpcTransportHandler.mapToJSONRPCError(error),
        }),
      );
    } finally {
      request.raw.off("close", stop);
      reply.raw.end();
    }
  });
}

export const a2aPlugin = fp(a2a, { name: "agentboard-a2a" });
