// Both modules export only public names, so each is re-exported whole.
export * from "./agentboard-error.js";
export * from "./error-codes.js";
