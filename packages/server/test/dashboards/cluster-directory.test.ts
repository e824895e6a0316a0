/**
 * The directory suite (directory.test.ts) in cluster mode: members from PostgreSQL, dashboards listed by
 * SCAN over Redis, through two nodes behind a round-robin TCP balancer.
 */
import { runSuiteOnCluster } from "../cluster-parametrisation.js";

await runSuiteOnCluster(() => import("./directory.test.js"));
