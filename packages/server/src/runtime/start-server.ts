import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { appOrigin, buildApp } from "../app.js";
import { approvalPolicyFromConfig } from "../approvals/approval-policy-config.js";
import type { Principal } from "../auth/principal.js";
import type { Config } from "../config.js";
import { createLogger } from "../observability/logger.js";
import { type EmbeddedRuntime, openEmbeddedRuntime } from "./embedded.js";

/** Login codes printed at start stay valid this long, and work once. */
export const LOGIN_CODE_TTL_MS = 24 * 3_600_000;
const TTL_SWEEP_INTERVAL_MS = 3_600_000;

export interface RunningServer {
  app: FastifyInstance;
  runtime: EmbeddedRuntime;
  url: string;
  owner: Principal;
  logger: Logger;
  loginUrl(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Opens the stores, makes sure the `default` workspace has an owner (`admin`, created on first start), and
 * listens. Cluster mode arrives with its own stores; until then its settings are refused rather than ignored.
 */
export async function startServer(
  config: Config,
  logger: Logger = createLogger(config.logLevel),
): Promise<RunningServer> {
  if (config.mode === "cluster") {
    throw new Error(
      "cluster mode (AGENTBOARD_REDIS_URL + AGENTBOARD_DATABASE_URL) is not available in this version; unset both to run embedded",
    );
  }
  const runtime = await openEmbeddedRuntime({
    dataDir: config.dataDir,
    patchLogLimit: config.patchLogLimit,
    log: logger,
    approvalPolicy: approvalPolicyFromConfig(config),
  });
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
