import type { FastifyInstance } from "fastify";

export interface HealthCheck {
  /** Component name in the /readyz body (contract.md: sqlite | redis | postgres | mcp | mesh). */
  name: string;
  /** Required components make the node unready when down; optional ones only report `degraded`. */
  required: boolean;
  /**
   * Resolves when the component is fine, rejects when not. Either may carry `details` (an object merged
   * into the component's entry, e.g. the MCP gateway's per-server status): resolve with it, or reject with
   * an Error that has a `details` property.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: most checks resolve with nothing at all.
  check(): Promise<void | { details?: Record<string, unknown> }>;
}

const CHECK_TIMEOUT_MS = 2_000;

async function runCheck(check: HealthCheck) {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const outcome = await Promise.race([
      check.check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    return {
      status: "ok" as const,
      latencyMs: Math.round((performance.now() - started) * 100) / 100,
      ...outcome?.details,
    };
  } catch (error) {
    const details = (error as { details?: Record<string, unknown> } | undefined)?.details;
    return {
      status: check.required ? ("down" as const) : ("degraded" as const),
      error: error instanceof Error ? error.message : String(error),
      ...details,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** `/healthz`: the process serves. `/readyz`: every required store answers, checked in parallel. */
export function registerHealthRoutes(app: FastifyInstance, checks: readonly HealthCheck[]): void {
  app.get("/healthz", { config: { rateLimit: false } }, async () => ({ status: "ok" }));
  app.get("/readyz", { config: { rateLimit: false } }, async (_request, reply) => {
    const results = await Promise.all(
      checks.map(async (check) => [check.name, await runCheck(check)] as const),
    );
    const components = Object.fromEntries(results);
    const ready = checks.every((check, i) => !check.required || results[i]?.[1].status === "ok");
    return reply.status(ready ? 200 : 503).send({ status: ready ? "ok" : "unavailable", components });
  });
}
