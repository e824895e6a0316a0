/**
 * Child process of the cluster benchmarks: one agentboard node, embedded (SQLite in a temp dir) or a cluster
 * node on the given Redis prefix and PostgreSQL schema, on loopback, so the bench's clients do not share its
 * event loop.
 *
 *   tsx bench/lib/cluster-node.ts '{"mode":"cluster","prefix":"…","schema":"…","users":16}'
 *
 * Prints one JSON line (NodeReady) once it listens, then serves until stdin closes (the parent ended or
 * died) or SIGTERM.
 */
import { startClusterNode, startTestServer } from "@agentboard/test-support";

export interface NodeSettings {
  mode: "embedded" | "cluster";
  prefix?: string;
  schema?: string;
  /** Users `bench-0…` to make tokens for (one token each, so no two clients share a rate-limit budget). */
  users: number;
}

export interface NodeReady {
  url: string;
  tokens: string[];
  workspaceId: string;
}

/** Benchmarks send far more than the default per-principal budgets allow. */
const BENCH_ENV = {
  AGENTBOARD_RATE_LIMIT_PER_MINUTE: "1000000",
  AGENTBOARD_WS_MESSAGES_PER_SECOND: "100000",
};

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? "{}") as NodeSettings;
  let url: string;
  let identity: Awaited<ReturnType<typeof startTestServer>>["runtime"]["identity"];
  let close: () => Promise<void>;
  if (settings.mode === "embedded") {
    const server = await startTestServer(BENCH_ENV);
    ({ url } = server);
    identity = server.runtime.identity;
    close = () => server.close();
  } else {
    const node = await startClusterNode({
      prefix: settings.prefix!,
      schema: settings.schema!,
      env: BENCH_ENV,
    });
    ({ url } = node);
    identity = node.runtime.identity;
    close = () => node.close();
  }
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void close().finally(() => process.exit(0));
  };
  process.stdin.on("end", stop).on("close", stop).resume();
  process.on("SIGTERM", stop);

  const workspace = await identity.ensureWorkspace("default");
  const tokens: string[] = [];
  for (let i = 0; i < settings.users; i++) {
    const user = await identity.ensurePrincipal({
      workspace,
      kind: "user",
      name: `bench-${i}`,
      role: "member",
    });
    tokens.push((await identity.issueSecret(user, "api")).secret);
  }
  const ready: NodeReady = { url, tokens, workspaceId: workspace.id };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
