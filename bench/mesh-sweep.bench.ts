/**
 * Agent health sweep benchmark (issue 16): how long one sweep of the remote A2A agents takes when some hang,
 * against probing them one after another (the same-run baseline), and what a sweep costs the server at 500
 * agents.
 *
 *   npm run bench:mesh-sweep          (= npx tsx bench/mesh-sweep.bench.ts, about 1 min)
 *   options: --rounds 3  --timeout 1000  --agents 50  --hung 5  --many 500
 *
 * A real embedded server (SQLite) with `--agents` remote agents registered through POST /api/agents; the
 * agents are one node:http process of their own (bench/fixtures/card-agents.mjs), so this process's CPU is
 * the server's. Per round:
 *
 * - prober: the server's own AgentProber sweep (p-limit 16, each probe a card fetch through the SSRF guard
 *   bounded by `--timeout`, the result written to the agents table), `--hung` of the agents never answering;
 * - baseline: an AgentProber over the same directory with concurrency 1: the same probes, one after another.
 *
 * Then `--many` agents, all answering: wall time, CPU (process.cpuUsage, user + system) and the event-loop
 * delay p99 during one sweep, next to the delay p99 of this process idle for as long (what the machine's
 * load alone adds), against the same prober committing each outcome on its own (the baseline for the cost:
 * each SQLite commit is a synchronous fsync). Each sweep is judged "a day later" than the last
 * (`sweep({at})`), so dead agents' backoff never skips them. Target: prober ≤ 1.2 × timeout. Medians over
 * the rounds.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type Caller, startTestServer, type TestServer } from "@agentboard/test-support";
import pLimit from "p-limit";
import { AgentProber } from "../packages/server/src/mesh/prober.js";
import { fmt, machineLine, median } from "./lib/cluster-bench.js";
import { runWithHardStop } from "./lib/hard-stop.js";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    timeout: { type: "string", default: "1000" },
    agents: { type: "string", default: "50" },
    hung: { type: "string", default: "5" },
    many: { type: "string", default: "500" },
  },
});
const ROUNDS = Number(args.rounds);
const TIMEOUT_MS = Number(args.timeout);
const AGENTS = Number(args.agents);
const HUNG = Number(args.hung);
const MANY = Number(args.many);
const INTERVAL_MS = 3_600_000; // the server's own schedule stays out of the way: the bench sweeps by hand
const FIXTURE = fileURLToPath(new URL("./fixtures/card-agents.mjs", import.meta.url));

let day = 0;
/** A moment past every backoff of the sweeps before it. */
const nextDay = () => new Date(Date.now() + ++day * 86_400_000);

async function startAgents(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [FIXTURE], { stdio: ["ignore", "pipe", "inherit"] });
  const [line] = (await once(child.stdout!, "data")) as [Buffer];
  return { child, url: `http://127.0.0.1:${line.toString().trim()}` };
}

async function registerAgents(admin: Caller, agentsUrl: string, from: number, to: number): Promise<void> {
  const limit = pLimit(8);
  await Promise.all(
    Array.from({ length: to - from }, (_, i) =>
      limit(async () => {
        const cardUrl = `${agentsUrl}/agent-${from + i}/.well-known/agent-card.json`;
        const created = await admin.request("POST", "/api/agents", { cardUrl });
        if (created.status !== 201) throw new Error(`register ${cardUrl}: ${JSON.stringify(created.body)}`);
      }),
    ),
  );
}

async function sweepOnce(prober: AgentProber, expected: number): Promise<number> {
  const result = await prober.sweep({ at: nextDay() });
  if (!result.swept || result.probed !== expected)
    throw new Error(`expected a sweep of ${expected} agents, got ${JSON.stringify(result)}`);
  return result.ms;
}

interface Cost {
  wall: number[];
  cpu: number[];
  delayP99: number[];
  idleP99: number[];
}
const newCost = (): Cost => ({ wall: [], cpu: [], delayP99: [], idleP99: [] });

/**
 * One sweep of every agent: wall time, this process's CPU (user + system) and event-loop delay p99; then
 * the delay p99 of this process idle for as long (what the machine's load alone adds).
 */
async function measureCost(prober: AgentProber, into: Cost): Promise<void> {
  const delay = monitorEventLoopDelay({ resolution: 5 });
  delay.enable();
  const cpu = process.cpuUsage();
  const wall = await sweepOnce(prober, MANY);
  const used = process.cpuUsage(cpu);
  delay.disable();
  const idle = monitorEventLoopDelay({ resolution: 5 });
  idle.enable();
  await new Promise((resolve) => setTimeout(resolve, wall));
  idle.disable();
  into.wall.push(wall);
  into.cpu.push((used.user + used.system) / 1000);
  into.delayP99.push(delay.percentile(99) / 1e6);
  into.idleP99.push(idle.percentile(99) / 1e6);
}

async function main() {
  const began = performance.now();
  const agents = await startAgents();
  let server: TestServer | undefined;
  try {
    server = await startTestServer({
      AGENTBOARD_AGENTS_ALLOW_PRIVATE_NETWORK: "true",
      AGENTBOARD_AGENT_PROBE_TIMEOUT_MS: String(TIMEOUT_MS),
      AGENTBOARD_AGENT_PROBE_INTERVAL_MS: String(INTERVAL_MS),
      AGENTBOARD_RATE_LIMIT_PER_MINUTE: "1000000",
    });
    const admin = await server.caller({ name: "bench-admin", role: "admin" });
    await registerAgents(admin, agents.url, 0, AGENTS);
    // Spread over the list, so the hung ones do not sit in one corner of the queue.
    const hung = Array.from({ length: HUNG }, (_, i) => Math.floor(((i + 0.5) * AGENTS) / HUNG));
    await fetch(`${agents.url}/hang?agents=${hung.join(",")}`);

    const prober = server.app.agentProber;
    const sequential = new AgentProber({
      directory: server.app.agentDirectory,
      intervalMs: INTERVAL_MS,
      timeoutMs: TIMEOUT_MS,
      concurrency: 1,
      allowPrivateNetwork: true,
    });
    await sweepOnce(prober, AGENTS); // warm-up (connections, JIT)
    const rows = { prober: [] as number[], sequential: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      rows.prober.push(await sweepOnce(prober, AGENTS));
      rows.sequential.push(await sweepOnce(sequential, AGENTS));
    }

    await fetch(`${agents.url}/hang?agents=`);
    await registerAgents(admin, agents.url, AGENTS, MANY);
    // Baseline for the cost: the same prober committing each outcome on its own (one fsync per agent).
    const directory = server.app.agentDirectory;
    const oneByOne = new AgentProber({
      directory: {
        remoteRows: () => directory.remoteRows(),
        recordProbes: async (results) => {
          for (const result of results) await directory.recordProbes([result]);
        },
      },
      intervalMs: INTERVAL_MS,
      timeoutMs: TIMEOUT_MS,
      allowPrivateNetwork: true,
    });
    await sweepOnce(prober, MANY); // warm-up
    const many = { prober: newCost(), oneByOne: newCost() };
    for (let round = 0; round < ROUNDS; round++) {
      await measureCost(prober, many.prober);
      await measureCost(oneByOne, many.oneByOne);
    }

    const p = median(rows.prober);
    const s = median(rows.sequential);
    const costRow = (label: string, cost: Cost) => {
      const cpu = median(cost.cpu);
      return `| ${label} | ${fmt(median(cost.wall))} | ${fmt(cpu)} | ${fmt((cpu / 30_000) * 100)} % | ${fmt(median(cost.delayP99))} | ${fmt(median(cost.idleP99))} |`;
    };
    console.log(
      [
        `| sweep of ${AGENTS} agents, ${HUNG} hung (timeout ${TIMEOUT_MS} ms) | wall, ms (median of ${ROUNDS}) | × timeout | × baseline |`,
        "|---|---|---|---|",
        `| prober (p-limit 16) | ${fmt(p)} | ${fmt(p / TIMEOUT_MS)} | ${fmt(p / s)} |`,
        `| baseline: one probe after another | ${fmt(s)} | ${fmt(s / TIMEOUT_MS)} | 1.00 |`,
        "",
        `| sweep of ${MANY} answering agents | wall, ms | CPU, ms | CPU of a core at one sweep / 30 s | event-loop delay p99, ms | same, idle as long |`,
        "|---|---|---|---|---|---|",
        costRow("prober (p-limit 16, SQLite, ≤ 32 outcomes per commit)", many.prober),
        costRow("baseline: the same, one commit per agent", many.oneByOne),
      ].join("\n"),
    );
    console.log(
      `\nrounds: prober ${rows.prober.map(fmt).join(", ")}; baseline ${rows.sequential.map(fmt).join(", ")}; ${MANY} agents CPU ${many.prober.cpu.map(fmt).join(", ")} (one commit per agent ${many.oneByOne.cpu.map(fmt).join(", ")})`,
    );
    console.log(machineLine(performance.now() - began));
    const ratio = p / TIMEOUT_MS;
    console.log(
      ratio <= 1.2 ? `OK: ${fmt(ratio)}× ≤ 1.2× timeout` : `OVER TARGET: ${fmt(ratio)}× > 1.2× timeout`,
    );
  } finally {
    await server?.close();
    agents.child.kill("SIGTERM");
  }
}

await runWithHardStop(main);
