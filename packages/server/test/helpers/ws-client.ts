// Moved to @agentboard/test-support; this re-export keeps in-flight imports working until they are updated.
export * from "@agentboard/test-support";
