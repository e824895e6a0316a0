/**
 * The one place test-support reaches into the server's sources. The helpers build apps and runtimes the way
 * the CLI does (white-box), from the same module instances the tests import, so an error class or a store a
 * test names is the one the app uses; the public entry (`@agentboard/server`) resolves to the build outside
 * vitest and would give a second copy.
 */
export { buildApp } from "../../server/src/app.js";
export { approvalPolicyFromConfig } from "../../server/src/approvals/approval-policy-config.js";
export { DEFAULT_AGENT_SCOPES, type Principal } from "../../server/src/auth/principal.js";
export { type Config, loadConfig } from "../../server/src/config.js";
export { createLogger } from "../../server/src/observability/logger.js";
export {
  type ClusterRuntime,
  type ClusterTimeouts,
  openClusterRuntime,
} from "../../server/src/runtime/cluster.js";
export { type EmbeddedRuntime, openEmbeddedRuntime } from "../../server/src/runtime/embedded.js";
export { openPostgres, type PostgresHandle } from "../../server/src/storage/postgres.js";
export { createRedisClient } from "../../server/src/storage/redis.js";
