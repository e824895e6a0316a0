import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

// Tests import packages by their public names; the alias points them at the sources so a test run never
// depends on a stale build. Tests that start the real CLI use the build, which `npm test` refreshes first.
export default defineConfig({
  resolve: {
    alias: {
      "@agentboard/protocol": src("protocol"),
      "@agentboard/client": src("client"),
      "@agentboard/server": src("server"),
      "@agentboard/test-support": src("test-support"),
    },
  },
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts", "e2e/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default"],
  },
});
