/**
 * @agentboard/test-support: the helpers the repo's tests, e2e suites and benchmarks share (private, never
 * published). A server to test against in either mode, callers with tokens, WebSocket and HTTP clients, the
 * cluster harness (nodes, balancer, private Redis) and the shared Redis/PostgreSQL bookkeeping.
 */
export * from "./api-assertions.js";
export * from "./approvals.js";
export * from "./backing-services.js";
export * from "./cluster.js";
export * from "./each-mode.js";
export * from "./network.js";
export * from "./per-test.js";
export * from "./private-redis.js";
export * from "./random-edits.js";
export * from "./raw-request.js";
export * from "./shared-redis.js";
export * from "./stored-widgets.js";
export * from "./test-server.js";
export * from "./ws-client.js";
