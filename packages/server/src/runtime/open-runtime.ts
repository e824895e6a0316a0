import { approvalPolicyFromConfig } from "../approvals/approval-policy-config.js";
import type { Config } from "../config.js";
import { openClusterRuntime } from "./cluster.js";
import { openEmbeddedRuntime } from "./embedded.js";
import type { ServerRuntime } from "./services.js";

/**
 * The runtime the configuration asks for: embedded (SQLite in dataDir) or, when both AGENTBOARD_REDIS_URL and
 * AGENTBOARD_DATABASE_URL are set, a cluster node on Redis + PostgreSQL. CLI commands that administer the
 * stores pass `armApprovalTimers: false`.
 */
export async function openRuntime(
  config: Config,
  options: {
    log: { error(details: object, message: string): void; warn(details: object, message: string): void };
    armApprovalTimers?: boolean;
  },
): Promise<ServerRuntime> {
  const common = {
    patchLogLimit: config.patchLogLimit,
    log: options.log,
    approvalPolicy: approvalPolicyFromConfig(config),
    armApprovalTimers: options.armApprovalTimers,
  };
  if (config.mode === "cluster") {
    if (!config.redisUrl || !config.databaseUrl) {
      throw new Error("cluster mode needs both AGENTBOARD_REDIS_URL and AGENTBOARD_DATABASE_URL");
    }
    return openClusterRuntime({
      ...common,
      redisUrl: config.redisUrl,
      databaseUrl: config.databaseUrl,
      redisPrefix: config.redisPrefix,
      stateTtlDays: config.stateTtlDays,
    });
  }
  return openEmbeddedRuntime({ ...common, dataDir: config.dataDir, dashboardSync: config.dashboardSync });
}
