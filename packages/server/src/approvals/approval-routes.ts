import {
  ApiErrorSchema,
  ApprovalListResponseSchema,
  ApprovalParamsSchema,
  ApprovalSchema,
  AuditTrailSchema,
  type BulkDecisionBody,
  BulkDecisionBodySchema,
  BulkDecisionResponseSchema,
  type CreateApprovalBody,
  CreateApprovalBodySchema,
  type DecisionBody,
  type ListApprovalsQuery,
  ListApprovalsQuerySchema,
  OptionalDecisionBodySchema,
  WaitQuerySchema,
} from "@agentboard/protocol";
import type { FastifyInstance } from "fastify";
import type { z } from "zod";
import { principalOf, requireAuth } from "../auth/auth-plugin.js";
import type { RevocationWatch } from "../auth/revocation.js";
import { unauthorized } from "../errors/agentboard-errors.js";
import type { ApprovalService } from "./approval-service.js";

type Params = z.infer<typeof ApprovalParamsSchema>;

const errors = {
  401: ApiErrorSchema,
  403: ApiErrorSchema,
  404: ApiErrorSchema,
  409: ApiErrorSchema,
  422: ApiErrorSchema,
};

/** REST surface of approvals (contract.md "Approvals"); everything goes through ApprovalService. */
export function registerApprovalRoutes(
  app: FastifyInstance,
  approvals: ApprovalService,
  /** Ends a long-poll with 401 when the credential that opened it is revoked (sign-out, token revoke). */
  revocations?: RevocationWatch,
): void {
  const base = "/api/approvals";
  const tags = ["approvals"];
  const reasonOf = (body: unknown) => (body as DecisionBody | null | undefined)?.reason;
  // Every route but create (201): signed in, tagged, and its success schema next to the shared error answers.
  const routeOptions = (schema: object, success: object) => ({
    preHandler: requireAuth,
    schema: { tags, ...schema, response: { 200: success, ...errors } },
  });

  // Open long-polls would hold app.close() until their timeout; answer them (still pending) instead, so
  // clients retry against the next server at once.
  app.addHook("preClose", async () => {
    approvals.releaseWaits();
  });

  app.post(
    base,
    {
      preHandler: requireAuth,
      schema: { tags, body: CreateApprovalBodySchema, response: { 201: ApprovalSchema, ...errors } },
    },
    async (request, reply) => {
      const { approval } = await approvals.create(principalOf(request), request.body as CreateApprovalBody);
      return reply.status(201).send(approval);
    },
  );

  app.get(
    base,
    routeOptions({ querystring: ListApprovalsQuerySchema }, ApprovalListResponseSchema),
    async (request) => approvals.list(principalOf(request), request.query as ListApprovalsQuery),
  );

  app.post(
    `${base}/bulk`,
    routeOptions({ body: BulkDecisionBodySchema }, BulkDecisionResponseSchema),
    async (request) => approvals.bulk(principalOf(request), request.body as BulkDecisionBody),
  );

  app.get(`${base}/:id`, routeOptions({ params: ApprovalParamsSchema }, ApprovalSchema), async (request) =>
    approvals.get(principalOf(request), (request.params as Params).id),
  );

  // The three decisions share one shape: an id, an optional reason, the approval as it now stands.
  const decisions = [
    { method: "POST", url: `${base}/:id/approve`, decide: approvals.approve },
    { method: "POST", url: `${base}/:id/reject`, decide: approvals.reject },
    { method: "DELETE", url: `${base}/:id`, decide: approvals.cancel },
  ] as const;
  for (const { method, url, decide } of decisions) {
    app.route({
      method,
      url,
      ...routeOptions({ params: ApprovalParamsSchema, body: OptionalDecisionBodySchema }, ApprovalSchema),
      handler: async (request) =>
        decide.call(approvals, principalOf(request), (request.params as Params).id, reasonOf(request.body)),
    });
  }

  app.get(
    `${base}/:id/wait`,
    routeOptions({ params: ApprovalParamsSchema, querystring: WaitQuerySchema }, ApprovalSchema),
    async (request, reply) => {
      const { timeoutMs } = request.query as z.infer<typeof WaitQuerySchema>;
      // A client that goes away ends its wait at once: no waiter or timer outlives its connection. So does
      // revoking the credential that opened it (sign-out, token revoked, principal removed or role changed).
      const ended = new AbortController();
      const disconnected = new Error("the client closed the connection");
      const onClose = () => ended.abort(disconnected);
      reply.raw.once("close", onClose);
      const unwatch = revocations?.watch(principalOf(request), request.credentialCheckedAt, () =>
        ended.abort(unauthorized("the credentials of this wait were revoked or changed: sign in again")),
      );
      try {
        return await approvals.wait(principalOf(request), (request.params as Params).id, {
          timeoutMs,
          signal: ended.signal,
        });
      } catch (error) {
        if (!ended.signal.aborted) throw error;
        if (ended.signal.reason !== disconnected) throw ended.signal.reason;
        // Nobody is listening any more: end quietly rather than log an error for an answer nobody reads.
        reply.hijack();
        reply.raw.end();
        return reply;
      } finally {
        reply.raw.off("close", onClose);
        unwatch?.();
      }
    },
  );

  app.get(
    `${base}/:id/events`,
    routeOptions({ params: ApprovalParamsSchema }, AuditTrailSchema),
    async (request) => approvals.auditTrail(principalOf(request), (request.params as Params).id),
  );
}
