import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * The layering check (`npm run lint:layers`, .dependency-cruiser.cjs) catches each kind of wrong import.
 * The real tree is checked by `npm test` itself; here the same configuration runs on a small tree of
 * temporary files laid out like the repository, first clean (it passes, so a failure below is the bad
 * import's and not the set-up's), then with one bad import per rule.
 */
const root = fileURLToPath(new URL("../../../../", import.meta.url));
const config = join(root, ".dependency-cruiser.cjs");
const cli = join(root, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs");

let tree: string;
const write = (path: string, text: string) => {
  mkdirSync(dirname(join(tree, path)), { recursive: true });
  writeFileSync(join(tree, path), text);
};

/** The rule names the checker reports for the tree (empty: it passes). */
function violations(): Promise<string[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [cli, "--config", config, "--output-type", "json", "--no-cache", "packages"],
      { cwd: tree, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        // Exit code = number of errors; the JSON report is complete either way.
        try {
          const report = JSON.parse(stdout) as { summary: { violations: Array<{ rule: { name: string } }> } };
          resolve([...new Set(report.summary.violations.map((v) => v.rule.name))].sort());
        } catch {
          reject(new Error(`dependency-cruiser did not report: ${error?.message ?? ""}\n${stderr}`));
        }
      },
    );
  });
}

beforeAll(() => {
  tree = mkdtempSync(join(tmpdir(), "agentboard-layers-"));
  // Package imports resolve to the sources, as the real check's tsconfig.tests.json makes them.
  write(
    "tsconfig.tests.json",
    JSON.stringify({
      compilerOptions: {
        module: "NodeNext",
        moduleResolution: "NodeNext",
        paths: Object.fromEntries(
          ["protocol", "client", "server", "test-support"].map((p) => [
            `@agentboard/${p}`,
            [`./packages/${p}/src/index.ts`],
          ]),
        ),
      },
    }),
  );
  write("packages/protocol/src/index.ts", "export const LIMIT = 1;\n");
  write(
    "packages/client/src/index.ts",
    'import { LIMIT } from "@agentboard/protocol";\nexport const x = LIMIT;\n',
  );
  write("packages/web/src/main.ts", 'import { x } from "@agentboard/client";\nexport const y = x;\n');
  write("packages/test-support/src/index.ts", "export const startTestServer = () => undefined;\n");
  write("packages/server/src/index.ts", 'export { DashboardService } from "./dashboards/service.js";\n');
  write("packages/server/src/http/errors.ts", "export const toStatus = (code: string) => code.length;\n");
  write("packages/server/src/events/bus.ts", "export interface Bus {\n  publish(topic: string): void;\n}\n");
  write(
    "packages/server/src/dashboards/service.ts",
    'import type { Bus } from "../events/bus.js";\nexport class DashboardService {\n  constructor(readonly bus: Bus) {}\n}\n',
  );
});
afterAll(() => rmSync(tree, { recursive: true, force: true }));

describe("layering check", () => {
  it("passes the clean tree, then fails each wrong import with its rule", { timeout: 60_000 }, async () => {
    expect(await violations()).toEqual([]);

    write("packages/protocol/src/bad.ts", 'export { x } from "@agentboard/client";\n');
    write("packages/client/src/bad.ts", 'export { DashboardService } from "@agentboard/server";\n');
    write("packages/web/src/bad.ts", 'export { DashboardService } from "@agentboard/server";\n');
    // A domain folder reaching into the HTTP edge, even for a type.
    write("packages/server/src/dashboards/bad.ts", 'export type { toStatus } from "../http/errors.js";\n');
    // Product code using the tests' harness.
    write("packages/server/src/cli/bad.ts", 'export { startTestServer } from "@agentboard/test-support";\n');
    // events -> dashboards while dashboards -> events: a cycle between capability folders.
    write(
      "packages/server/src/events/bad.ts",
      'export type { DashboardService } from "../dashboards/service.js";\n',
    );

    expect(await violations()).toEqual([
      "client-imports-only-protocol",
      "no-cycles-between-server-folders",
      "no-domain-imports-http",
      "no-product-imports-test-support",
      "protocol-imports-nothing-of-ours",
      "web-imports-only-client-and-protocol",
    ]);
  });
});
