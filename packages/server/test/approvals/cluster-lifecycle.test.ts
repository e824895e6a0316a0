/**
 * The approvals lifecycle suite (approvals-lifecycle.test.ts) in cluster mode: every test runs unchanged against two nodes on Redis + PostgreSQL
 * behind a round-robin TCP balancer, so its REST calls and WebSockets land on either node.
 */
import { runSuiteOnCluster } from "../cluster-parametrisation.js";

await runSuiteOnCluster(() => import("./lifecycle.test.js"));
