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
    {
      preHandler: requireAuth,
      schema: {
        tags,
        querystring: ListApprovalsQuerySchema,
        response: { 200: ApprovalListResponseSchema, ...errors },
      },
    },
    async (request) => approvals.list(principalOf(request), request.query as ListApprovalsQuery),
  );

  app.post(
    `${base}/bulk`,
    {
      preHandler: requireAuth,
      schema: {
        tags,
        body: BulkDecisionBodySchema,
        response: { 200: BulkDecisionResponseSchema, ...errors },
      },
    },
    async (request) => approvals.bulk(principalOf(request), request.body as BulkDecisionBody),
  );

  app.get(
    `${base}/:id`,
    {
      preHandler: requireAuth,
      schema: { tags, params: ApprovalParamsSchema, response: { 200: ApprovalSchema, ...errors } },
    },
    async (request) => approvals.get(principalOf(request), (request.params as Params).id),
  );

  for (const decision of ["approve", "reject"] as const) {
    app.post(
      `${base}/:id/${decision}`,
      {
        preHandler: requireAuth,
        schema: {
          tags,
          params: ApprovalParamsSchema,
          body: OptionalDecisionBodySchema,
          response: { 200: ApprovalSchema, ...errors },
        },
      },
      async (request) =>
        approvals[decision](principalOf(request), (request.params as Params).id, reasonOf(request.body)),
    );
  }

  app.delete(
    `${base}/:id`,
    {
      preHandler: requireAuth,
      schema: {
        tags,
        params: ApprovalParamsSchema,
        body: OptionalDecisionBodySchema,
        response: { 200: ApprovalSchema, ...errors },
      },
    },
    async (request) =>
      approvals.cancel(principalOf(request), (request.params as Params).id, reasonOf(request.body)),
  );

  app.get(
    `${base}/:id/wait`,
    {
      preHandler: requireAuth,
      schema: {
        tags,
        params: ApprovalParamsSchema,
        querystring: WaitQuerySchema,
        response: { 200: ApprovalSchema, ...errors },
      },
    },
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
    {
      preHandler: requireAuth,
      schema: { tags, params: ApprovalParamsSchema, response: { 200: AuditTrailSchema, ...errors } },
    },
    async (request) => approvals.auditTrail(principalOf(request), (request.params as Params).id),
  );
}
