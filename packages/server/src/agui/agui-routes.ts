import { EventType, PROTOCOL_VERSION, type RunErrorEvent, type RunStartedEvent } from "@ag-ui/core";
import { AgentboardError, AguiParamsSchema, ApiErrorSchema } from "@agentboard/protocol";
import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import type { ApprovalService } from "../approvals/approval-service.js";
import { principalOf, requireAuth } from "../auth/auth-plugin.js";
import type { IdentityStore } from "../auth/identity-store.js";
import type { RevocationWatch } from "../auth/revocation.js";
import { resolveDashboard } from "../dashboards/dashboard-access.js";
import type { RealtimeHub } from "../realtime/realtime-hub.js";
import { BoardRun } from "./board-run.js";
import { AguiEventStream } from "./event-stream.js";
import { applyResume, planResume } from "./resume.js";
import { parseRunRequest } from "./run-input.js";

export interface AguiRouteOptions {
  identity: IdentityStore;
  approvals: ApprovalService;
  hub: RealtimeHub;
  revocations: RevocationWatch;
  /** The open runs of this node (leak checks, the runs gauge). */
  runs: Set<BoardRun>;
}

const errors = { 400: ApiErrorSchema, 401: ApiErrorSchema, 403: ApiErrorSchema, 404: ApiErrorSchema };

/** A domain error as RUN_ERROR; anything else is a bug, logged and reported as `internal`. */
function runErrorOf(error: unknown, log: { error(details: object, message: string): void }): RunErrorEvent {
  if (AgentboardError.isInstance(error))
    return { type: EventType.RUN_ERROR, code: error.code, message: error.message };
  log.error({ err: error }, "an AG-UI run failed");
  return { type: EventType.RUN_ERROR, code: "internal", message: "internal error" };
}

/**
 * `POST /api/agui/:dashboardId` (docs/agui.md): an AG-UI RunAgentInput in, `text/event-stream` out. What can
 * be answered with a status is (401, 400 for a body that is no RunAgentInput, 403/404 for a dashboard the
 * caller may not read); a resume that cannot be carried out is a RUN_ERROR after RUN_STARTED, with nothing
 * decided.
 */
export function registerAguiRoutes(app: FastifyInstance, options: AguiRouteOptions): void {
  app.post(
    "/api/agui/:dashboardId",
    {
      preHandler: requireAuth,
      schema: {
        tags: ["agui"],
        summary: "Follow a dashboard as an AG-UI agent (text/event-stream of AG-UI events)",
        params: AguiParamsSchema,
        response: errors,
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { dashboardId } = request.params as z.infer<typeof AguiParamsSchema>;
      const gone = new AbortController();
      reply.raw.once("close", () => gone.abort());
      const run = parseRunRequest(request.body, dashboardId);
      await resolveDashboard(options.identity, principal, dashboardId, "read");
      // Every resume entry is checked before anything is decided; a refusal is reported in the stream.
      const checked = await planResume(options.approvals, principal, run.input.resume ?? []).then(
        (plan) => ({ plan }),
        (error: unknown) => {
          if (!AgentboardError.isInstance(error)) throw error;
          return { refused: runErrorOf(error, request.log) };
        },
      );

      reply.hijack();
      const stream = new AguiEventStream(reply.raw);
      stream.open();
      const { threadId, runId } = run.input;
      stream.send({
        type: EventType.RUN_STARTED,
        threadId,
        runId,
        protocolVersion: PROTOCOL_VERSION,
      } satisfies RunStartedEvent);
      if ("refused" in checked) {
        stream.send(checked.refused);
        stream.end();
        return reply;
      }
      const { plan } = checked;
      try {
        await applyResume(options.approvals, principal, plan);
      } catch (error) {
        stream.send(runErrorOf(error, request.log));
        stream.end();
        return reply;
      }
      if (gone.signal.aborted) return reply;

      const boardRun: BoardRun = new BoardRun({
        hub: options.hub,
        approvals: options.approvals,
        revocations: options.revocations,
        principal,
        credentialCheckedAt: request.credentialCheckedAt,
        dashboardId,
        request: run,
        setAside: plan.setAside,
        stream,
        log: request.log,
        onEnd: () => options.runs.delete(boardRun),
      });
      options.runs.add(boardRun);
      gone.signal.addEventListener("abort", () => boardRun.abort(), { once: true });
      boardRun.start();
      return reply;
    },
  );
}
