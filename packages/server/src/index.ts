// Public entry of @agentboard/server: embedding the server in another program and testing it.
export { type AppServices, appOrigin, buildApp } from "./app.js";
export { type Principal, principalRef } from "./auth/principal.js";
export { type WaitReadyOptions, type WaitReadyResult, waitReady } from "./cli/wait-ready.js";
export { type Config, ConfigError, loadConfig, renderConfigTable } from "./config.js";
export { type EmbeddedRuntime, openEmbeddedRuntime } from "./runtime/embedded.js";
export { type RunningServer, startServer } from "./runtime/start-server.js";
