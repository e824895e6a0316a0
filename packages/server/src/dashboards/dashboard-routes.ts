import {
  ApiErrorSchema,
  DashboardDocumentSchema,
  DashboardParamsSchema,
  PatchStateBodySchema,
  PutStateBodySchema,
  RevResponseSchema,
  WidgetInputSchema,
  WidgetParamsSchema,
  WidgetResponseSchema,
} from "@agentboard/protocol";
import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import { principalOf, requireAuth } from "../auth/auth-plugin.js";
import type { IdentityStore } from "../auth/identity-store.js";
import { principalRef } from "../auth/principal.js";
import { resolveDashboard } from "./dashboard-access.js";
import type { DashboardService } from "./dashboard-service.js";
import type { WidgetRefresher } from "./widget-refresher.js";

type DashboardParams = z.infer<typeof DashboardParamsSchema>;
type WidgetParams = z.infer<typeof WidgetParamsSchema>;

const errors = { 401: ApiErrorSchema, 403: ApiErrorSchema, 409: ApiErrorSchema, 422: ApiErrorSchema };

/** REST surface of dashboard documents (contract.md "Dashboards"); all writes go through DashboardService. */
export function registerDashboardRoutes(
  app: FastifyInstance,
  dashboards: DashboardService,
  identity: IdentityStore,
  refresher: WidgetRefresher,
): void {
  const base = "/api/dashboards/:id";
  const tags = ["dashboards"];

  app.get(
    `${base}/state`,
    {
      preHandler: requireAuth,
      schema: { tags, params: DashboardParamsSchema, response: { 200: DashboardDocumentSchema, ...errors } },
    },
    async (request) => {
      const { id } = request.params as DashboardParams;
      return dashboards.get(await resolveDashboard(identity, principalOf(request), id, "read"));
    },
  );

  // PUT replaces the whole state and PATCH applies ops to it: one route shape around two writes.
  const stateWrite = <Body>(
    method: "PUT" | "PATCH",
    body: z.ZodType<Body>,
    write: (
      target: Awaited<ReturnType<typeof resolveDashboard>>,
      body: Body,
      by: ReturnType<typeof principalRef>,
    ) => Promise<{ rev: number }>,
  ) =>
    app.route({
      method,
      url: `${base}/state`,
      preHandler: requireAuth,
      schema: { tags, params: DashboardParamsSchema, body, response: { 200: RevResponseSchema, ...errors } },
      handler: async (request) => {
        const { id } = request.params as DashboardParams;
        const principal = principalOf(request);
        const target = await resolveDashboard(identity, principal, id, "write");
        const { rev } = await write(target, request.body as Body, principalRef(principal));
        return { rev };
      },
    });
  stateWrite("PUT", PutStateBodySchema, (target, body, by) => dashboards.put(target, body, by));
  stateWrite("PATCH", PatchStateBodySchema, (target, body, by) => dashboards.patch(target, body, by));

  app.delete(
    `${base}/state`,
    { preHandler: requireAuth, schema: { tags, params: DashboardParamsSchema } },
    async (request, reply) => {
      const { id } = request.params as DashboardParams;
      const principal = principalOf(request);
      await dashboards.reset(
        await resolveDashboard(identity, principal, id, "write"),
        principalRef(principal),
      );
      return reply.status(204).send();
    },
  );

  app.put(
    `${base}/widgets/:widgetId`,
    {
      preHandler: requireAuth,
      schema: {
        tags,
        params: WidgetParamsSchema,
        body: WidgetInputSchema,
        response: { 200: WidgetResponseSchema, ...errors },
      },
    },
    async (request) => {
      const { id, widgetId } = request.params as WidgetParams;
      const principal = principalOf(request);
      const { rev, widget } = await dashboards.upsertWidget(
        await resolveDashboard(identity, principal, id, "write"),
        widgetId,
        request.body as z.infer<typeof WidgetInputSchema>,
        principalRef(principal),
      );
      return { rev, widget };
    },
  );

  app.delete(
    `${base}/widgets/:widgetId`,
    {
      preHandler: requireAuth,
      schema: { tags, params: WidgetParamsSchema, response: { 200: RevResponseSchema, ...errors } },
    },
    async (request) => {
      const { id, widgetId } = request.params as WidgetParams;
      const principal = principalOf(request);
      const { rev } = await dashboards.removeWidget(
        await resolveDashboard(identity, principal, id, "write"),
        widgetId,
        principalRef(principal),
      );
      return { rev };
    },
  );

  app.post(
    `${base}/widgets/:widgetId/refresh`,
    {
      preHandler: requireAuth,
      schema: { tags, params: WidgetParamsSchema, response: { 202: RevResponseSchema, ...errors } },
    },
    async (request, reply) => {
      const { id, widgetId } = request.params as WidgetParams;
      const principal = principalOf(request);
      const key = await resolveDashboard(identity, principal, id, "write");
      const { rev } = await refresher.refresh(key, widgetId, principalRef(principal), principal);
      return reply.status(202).send({ rev });
    },
  );
}
