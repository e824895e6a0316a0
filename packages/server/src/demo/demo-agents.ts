import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { IdentityStore } from "../auth/identity-store.js";
import { DEFAULT_AGENT_SCOPES, type Principal } from "../auth/principal.js";
import { type DemoMesh, type RegisteredStatusAgent, registerStatusAgent } from "./demo-status-agent.js";

/**
 * Where the demo agents are: the `@agentboard/demo` package, a dependency of this one (examples/demo in the
 * repository, linked as a workspace). The agents are plain ESM scripts run with this Node; they resolve
 * `@agentboard/client` from where they are installed, so a packed server needs nothing from a checkout.
 */
export function demoAgentsDir(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve("@agentboard/demo/package.json"));
  } catch {
    throw new Error("--demo needs the package @agentboard/demo (a dependency of @agentboard/server)");
  }
}

/**
 * The A2A status agent: not an agentboard client (no token), an A2A server the demo registers in the agent
 * directory; it starts first so the board agent can bind its "Service status" widget to it.
 */
const STATUS_AGENT = { script: "status-agent.mjs", label: "status-agent" } as const;

/** In start order: the board agent lays out the approval agent's widget too, so that one goes first. */
const AGENTS = [
  {
    name: "demo-approval-agent",
    displayName: "Deploy agent",
    script: "approval-agent.mjs",
    label: "approval-agent",
  },
  {
    name: "demo-board-agent",
    displayName: "Dashboard agent",
    script: "board-agent.mjs",
    label: "board-agent",
  },
] as const;

const READY_TIMEOUT_MS = 20_000;
const STOP_GRACE_MS = 3_000;
/** Agent tokens outlive a crash of the server by at most this long; a clean stop revokes them at once. */
const TOKEN_TTL_MS = 7 * 86_400_000;

export interface DemoOptions {
  url: string;
  owner: Principal;
  identity: IdentityStore;
  /** The agent directory and prober the status agent is registered with. */
  mesh: DemoMesh;
  /** Where agent output goes, one line at a time, prefixed with the agent's name. */
  write(line: string): void;
  dir?: string;
}

export interface RunningDemo {
  stop(): Promise<void>;
}

interface RunningAgent {
  label: string;
  child: ChildProcess;
  exited: Promise<void>;
  token?: string;
}

/**
 * `agentboard start --demo`: runs the demo agents of `@agentboard/demo` as child processes, each with its own
 * agent token, writing to the owner's dashboard, and waits until each has published its widgets (so the
 * printed login URL opens a full board). The sample data lives with the agents only.
 */
export async function startDemo(options: DemoOptions): Promise<RunningDemo> {
  const dir = options.dir ?? demoAgentsDir();
  if (![STATUS_AGENT, ...AGENTS].every((agent) => existsSync(join(dir, agent.script)))) {
    throw new Error(`--demo needs the demo agents in ${dir} (the package @agentboard/demo)`);
  }
  const running: RunningAgent[] = [];
  let statusAgent: RegisteredStatusAgent | undefined;
  const stop = async () => {
    await Promise.all(running.map((agent) => stopAgent(agent)));
    await Promise.all(
      running.map((agent) =>
        agent.token ? options.identity.revokeSecret(agent.token).catch(() => undefined) : undefined,
      ),
    );
    await statusAgent?.unregister();
  };
  try {
    const status = spawnAgent(join(dir, STATUS_AGENT.script), STATUS_AGENT.label, {}, options);
    running.push(status);
    const { cardUrl } = await waitReady(status);
    if (typeof cardUrl !== "string") throw new Error("demo status-agent did not report its card URL");
    statusAgent = await registerStatusAgent(options.mesh, options.owner, cardUrl, status.exited);
    const workspace = { id: options.owner.workspaceId, name: options.owner.workspaceName };
    for (const agent of AGENTS) {
      const principal = await options.identity.ensurePrincipal({
        workspace,
        kind: "agent",
        name: agent.name,
        scopes: DEFAULT_AGENT_SCOPES,
      });
      await nameAgent(options, principal.id, agent.displayName);
      const { secret } = await options.identity.issueSecret(principal, "api", TOKEN_TTL_MS);
      const env = {
        AGENTBOARD_URL: options.url,
        AGENTBOARD_TOKEN: secret,
        AGENTBOARD_DASHBOARD: `user:${options.owner.id}`,
        AGENTBOARD_DEMO_STATUS_AGENT_ID: statusAgent.agentId,
      };
      const started = spawnAgent(join(dir, agent.script), agent.label, env, options);
      started.token = secret;
      running.push(started);
      await waitReady(started);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop };
}

/** Gives a demo agent its display name in the directory, unless an admin already gave it one. */
async function nameAgent(options: DemoOptions, id: string, displayName: string): Promise<void> {
  const card = await options.mesh.directory.get(options.owner.workspaceId, id);
  if (card.displayName === card.name) await options.mesh.directory.update(options.owner, id, { displayName });
}

function spawnAgent(
  script: string,
  label: string,
  settings: Record<string, string>,
  options: DemoOptions,
): RunningAgent {
  // Only what the agent needs: no server secrets or unrelated settings reach it.
  const env: NodeJS.ProcessEnv = { ...settings, PATH: process.env.PATH };
  for (const [name, value] of Object.entries(process.env)) {
    if (name.startsWith("AGENTBOARD_DEMO_")) env[name] = value;
  }
  const child = spawn(process.execPath, [script], { env, stdio: ["ignore", "pipe", "pipe", "ipc"] });
  const prefix = (stream: NodeJS.ReadableStream | null) => {
    let buffered = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) if (line.trim()) options.write(`[demo] ${line}`);
    });
  };
  prefix(child.stdout);
  prefix(child.stderr);
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      if (code !== 0 && signal !== "SIGTERM")
        options.write(`[${label}] exited (code ${code}, signal ${signal})`);
      resolve();
    });
  });
  return { label, child, exited };
}

/** Resolves with the agent's "ready" message (the status agent's carries its card URL). */
function waitReady(agent: RunningAgent): Promise<{ cardUrl?: unknown }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`demo ${agent.label} did not get ready within ${READY_TIMEOUT_MS / 1000} s`));
    }, READY_TIMEOUT_MS);
    const onMessage = (message: unknown) => {
      if ((message as { type?: unknown } | null)?.type !== "ready") return;
      cleanup();
      resolve(message as { cardUrl?: unknown });
    };
    const onExit = () => {
      cleanup();
      reject(new Error(`demo ${agent.label} exited before it was ready`));
    };
    const cleanup = () => {
      clearTimeout(timer);
      agent.child.off("message", onMessage);
      agent.child.off("exit", onExit);
    };
    agent.child.on("message", onMessage);
    agent.child.once("exit", onExit);
  });
}

async function stopAgent(agent: RunningAgent): Promise<void> {
  if (agent.child.exitCode !== null || agent.child.signalCode !== null) return;
  agent.child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), STOP_GRACE_MS);
  });
  if ((await Promise.race([agent.exited, late])) === "late") {
    agent.child.kill("SIGKILL");
    await agent.exited;
  }
  clearTimeout(timer);
}
