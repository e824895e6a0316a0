import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { appOrigin, buildApp } from "../app.js";
import type { Principal } from "../auth/principal.js";
import type { Config } from "../config.js";
import { createLogger } from "../observability/logger.js";
import { openRuntime } from "./open-runtime.js";
import type { ServerRuntime } from "./services.js";

/** Login codes printed at start stay valid this long, and work once. */
export const LOGIN_CODE_TTL_MS = 24 * 3_600_000;
const TTL_SWEEP_INTERVAL_MS = 3_600_000;

export interface RunningServer {
  app: FastifyInstance;
  runtime: ServerRuntime;
  url: string;
  owner: Principal;
  logger: Logger;
  loginUrl(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Opens the stores (embedded SQLite, or Redis + PostgreSQL when both cluster URLs are set), makes sure the
 * `default` workspace has an owner (`admin`, created on first start; several cluster nodes starting at once
 * agree on one), and listens.
 */
export async function startServer(
  config: Config,
  logger: Logger = createLogger(config.logLevel),
): Promise<RunningServer> {
  const runtime = await openRuntime(config, { log: logger });
  let app: FastifyInstance | undefined;
  let sweep: NodeJS.Timeout | undefined;
  try {
    const workspace = await runtime.identity.ensureWorkspace("default");
    const owner =
      (await runtime.identity.findFirstOwner(workspace)) ??
      (await runtime.identity.ensurePrincipal({ workspace, kind: "user", name: "admin", role: "owner" }));
    app = await buildApp(config, runtime, logger);
    await app.listen({ port: config.port, host: config.host });
    const address = app.server.address();
    const port = typeof address === "object" && address ? address.port : config.port;
    const url = appOrigin(config, port);

    const dropExpired = () =>
      runtime.dashboards
        .dropExpired(config.stateTtlDays)
        .then(
          (n) => n > 0 && logger.info({ dropped: n }, "dropped dashboards past AGENTBOARD_STATE_TTL_DAYS"),
        )
        .catch((error: unknown) => logger.error({ err: error }, "dropping expired dashboards failed"));
    void dropExpired();
    sweep = setInterval(dropExpired, TTL_SWEEP_INTERVAL_MS);
    sweep.unref();

    const started = app;
    return {
      app: started,
      runtime,
      url,
      owner,
      logger,
      async loginUrl() {
        const { secret } = await runtime.identity.issueSecret(owner, "login_code", LOGIN_CODE_TTL_MS);
        return `${url}/?login=${secret}`;
      },
      async close() {
        clearInterval(sweep);
        await started.close();
        await runtime.close();
      },
    };
  } catch (error) {
    clearInterval(sweep);
    await app?.close();
    await runtime.close();
    throw error;
  }
}
