import { existsSync } from "node:fs";
import { join } from "node:path";
import { PrincipalKindSchema, UserRoleSchema, WorkspaceNameSchema } from "@agentboard/protocol";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { appOrigin } from "./app.js";
import { runAuditVerify } from "./approvals/audit-verify-command.js";
import { DEFAULT_AGENT_SCOPES } from "./auth/principal.js";
import { Revocations } from "./auth/revocation.js";
import { formatTable } from "./cli/text-table.js";
import { formatWaitReadyFailure, waitReady } from "./cli/wait-ready.js";
import { type Config, ConfigError, loadConfig } from "./config.js";
import { type RunningDemo, startDemo } from "./demo/demo-agents.js";
import { runMcpList } from "./mcp/gateway/mcp-list-command.js";
import {
  type AgentEdits,
  agentPatchOf,
  runAgentAdd,
  runAgentEdit,
  runAgentList,
  runAgentRemove,
} from "./mesh/agent-command.js";
import { createLogger } from "./observability/logger.js";
import { DATABASE_FILE } from "./runtime/embedded.js";
import { openRuntime } from "./runtime/open-runtime.js";
import type { ServerRuntime } from "./runtime/services.js";
import { LOGIN_CODE_TTL_MS, startServer } from "./runtime/start-server.js";

/** Exit codes: 1 runtime failure, 2 bad usage or configuration. */
class UsageError extends Error {}

function parseInteger(name: string, min: number, max: number) {
  return (value: string) => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    }
    return Number(value);
  };
}

function configFrom(flags: Record<string, unknown>): Config {
  const config = loadConfig({ flags });
  for (const warning of config.warnings) process.stderr.write(`agentboard: warning: ${warning}\n`);
  return config;
}

/**
 * Commands that work on the stores directly, in either mode: the SQLite file (a server may be running: WAL
 * allows it) or, with the cluster settings, PostgreSQL + Redis — the same environment as `start`.
 */
async function withStores<T>(config: Config, task: (runtime: ServerRuntime) => Promise<T>) {
  const runtime = await openRuntime(config, {
    log: createLogger("silent"),
    // Administrative commands never expire approvals behind a running server's back.
    armApprovalTimers: false,
  });
  try {
    return await task(runtime);
  } finally {
    await runtime.close();
  }
}

export function buildCli(): Command {
  const program = new Command("agentboard")
    .description("agentboard: a live, shared, human-supervised surface for AI agents")
    .showHelpAfterError("(run with --help for usage)")
    // Usage errors exit 2 like configuration errors (commander's own default is 1); set before the
    // subcommands are added so they inherit it.
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`agentboard: ${text.replace(/^error: /, "")}`) });

  const dataDir = () =>
    new Option("--data-dir <dir>", "where the embedded store lives (default ./.agentboard)");
  const configFile = () =>
    new Option("--config <file>", "JSON config file (keys as in docs/configuration.md)");

  program
    .command("start")
    .description("run the server in embedded mode and print a one-time login URL")
    .option("--port <port>", "port to listen on (default 7800)")
    .option("--host <host>", "interface to bind (default 127.0.0.1)")
    .addOption(dataDir())
    .addOption(configFile())
    .option("--demo", "run demo agents that fill the owner's dashboard and ask for approvals")
    .action(async (flags: Record<string, unknown>) => {
      const config = configFrom(flags);
      const server = await startServer(config);
      let demo: RunningDemo | undefined;
      if (config.demo) {
        try {
          demo = await startDemo({
            url: server.url,
            owner: server.owner,
            identity: server.runtime.identity,
            mesh: { directory: server.app.agentDirectory, prober: server.app.agentProber },
            write: (line) => process.stdout.write(`${line}\n`),
          });
        } catch (error) {
          await server.close();
          throw error;
        }
      }
      const stop = async (signal: string) => {
        server.logger.info({ signal }, "shutting down");
        // Agents first: they write to the server until they are told to stop.
        await demo?.stop();
        await server.close();
        process.exit(0);
      };
      process.once("SIGINT", () => void stop("SIGINT"));
      process.once("SIGTERM", () => void stop("SIGTERM"));
      const loginUrl = await server.loginUrl();
      process.stdout.write(
        [
          "",
          `agentboard is running at ${server.url} (${config.mode === "cluster" ? "cluster node on Redis + PostgreSQL" : `embedded store in ${config.dataDir}`})`,
          `Open this one-time login URL (valid ${LOGIN_CODE_TTL_MS / 3_600_000} h, works once):`,
          `  ${loginUrl}`,
          `API docs: ${server.url}/docs    health: ${server.url}/readyz`,
          "",
        ].join("\n"),
      );
    });

  program
    .command("login-url")
    .description("print a fresh one-time login URL for the owner of workspace default")
    .addOption(dataDir())
    .addOption(configFile())
    .option("--port <port>", "port the running server listens on (for the printed URL)")
    .option("--host <host>", "host the running server listens on (for the printed URL)")
    .action(async (flags: Record<string, unknown>) => {
      const config = configFrom(flags);
      await withStores(config, async (runtime) => {
        const workspace = await runtime.identity.ensureWorkspace("default");
        const owner = await runtime.identity.findFirstOwner(workspace);
        if (!owner)
          throw new UsageError("workspace default has no owner yet: run `agentboard start` once first");
        const { secret } = await runtime.identity.issueSecret(owner, "login_code", LOGIN_CODE_TTL_MS);
        process.stdout.write(`${appOrigin(config)}/?login=${secret}\n`);
      });
    });

  const token = program.command("token").description("manage API tokens");
  token
    .command("create")
    .description("create a token for a user or an agent; the token is printed alone on the last line")
    .addOption(
      new Option("--kind <kind>", "user or agent").choices(PrincipalKindSchema.options).makeOptionMandatory(),
    )
    .requiredOption("--name <name>", "principal name (created if new)")
    .addOption(new Option("--role <role>", "role of a user (default member)").choices(UserRoleSchema.options))
    .option("--workspace <workspace>", "workspace slug, created if it does not exist", "default")
    .option("--scopes <scopes>", `agent scopes, comma-separated (default ${DEFAULT_AGENT_SCOPES.join(",")})`)
    .addOption(dataDir())
    .addOption(configFile())
    .action(
      async (flags: {
        kind: "user" | "agent";
        name: string;
        role?: "owner" | "admin" | "member" | "viewer";
        workspace: string;
        scopes?: string;
        dataDir?: string;
        config?: string;
      }) => {
        if (!WorkspaceNameSchema.safeParse(flags.workspace).success) {
          throw new UsageError(`--workspace must be a slug of a-z, 0-9 and - (got "${flags.workspace}")`);
        }
        if (flags.kind === "agent" && flags.role)
          throw new UsageError("--role applies to users only; agents have --scopes");
        const name = flags.name.trim();
        if (!/^[\w.@ -]{1,100}$/.test(name))
          throw new UsageError("--name must be 1–100 letters, digits, spaces or _ . @ -");
        const config = configFrom({ dataDir: flags.dataDir, config: flags.config });
        await withStores(config, async (runtime) => {
          const workspace = await runtime.identity.ensureWorkspace(flags.workspace);
          const principal = await runtime.identity.ensurePrincipal({
            workspace,
            kind: flags.kind,
            name,
            role: flags.role,
            scopes: flags.scopes
              ? flags.scopes
                  .split(",")
                  .map((s) => s.trim())
                  .filter(Boolean)
              : DEFAULT_AGENT_SCOPES,
          });
          const { secret } = await runtime.identity.issueSecret(principal, "api");
          const what =
            principal.kind === "user"
              ? `user ${principal.name} (${principal.role})`
              : `agent ${principal.name}`;
          process.stdout.write(
            `Token for ${what} in workspace ${workspace.name}, id ${principal.id}. It is shown only once:\n${secret}\n`,
          );
        });
      },
    );

  token
    .command("list")
    .description(
      "list the live API tokens and sessions of a workspace (ids, holders, last use; never secrets)",
    )
    .option("--workspace <workspace>", "workspace slug", "default")
    .option("--json", "print {items:[…]} as GET /api/tokens answers it")
    .addOption(dataDir())
    .addOption(configFile())
    .action(async (flags: { workspace: string; json?: boolean; dataDir?: string; config?: string }) => {
      const config = configFrom({ dataDir: flags.dataDir, config: flags.config });
      await withStores(config, async (runtime) => {
        const workspace = await runtime.identity.findWorkspace(flags.workspace);
        if (!workspace) throw new UsageError(`no workspace ${flags.workspace}`);
        const items = await runtime.identity.listTokens(workspace.id);
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ items })}\n`);
          return;
        }
        const rows = items.map((item) => [
          item.id,
          item.tokenKind,
          `${item.kind} ${item.name}${item.role ? ` (${item.role})` : ""}`,
          item.createdAt,
          item.lastUsedAt ?? "never",
        ]);
        process.stdout.write(formatTable(["ID", "KIND", "HOLDER", "CREATED", "LAST USED"], rows));
      });
    });

  token
    .command("revoke")
    .description(
      "revoke an API token or session by id (see token list); open sockets it authenticated close within 1 s",
    )
    .argument("<id>", "token id (tok_…)")
    .option("--workspace <workspace>", "only if the token belongs to this workspace")
    .addOption(dataDir())
    .addOption(configFile())
    .action(async (id: string, flags: { workspace?: string; dataDir?: string; config?: string }) => {
      const config = configFrom({ dataDir: flags.dataDir, config: flags.config });
      await withStores(config, async (runtime) => {
        let workspaceId: string | undefined;
        if (flags.workspace !== undefined) {
          const workspace = await runtime.identity.findWorkspace(flags.workspace);
          if (!workspace) throw new UsageError(`no workspace ${flags.workspace}`);
          workspaceId = workspace.id;
        }
        // Cluster mode: the announcement goes out on the Redis bus to every node. Embedded mode: a running
        // server finds the revocation in the store within a poll (pollRevocations).
        const revoked = await new Revocations(runtime.identity, runtime.bus).revokeTokenAsOperator(
          id,
          workspaceId,
        );
        if (!revoked) throw new Error(`no API token or session with id ${id}`);
        process.stdout.write(`revoked ${id}\n`);
      });
    });

  program
    .command("wait-ready")
    .description("wait until a server answers /readyz with 200; fails at once if --pid exits")
    .requiredOption("--url <url>", "base URL of the server, e.g. http://127.0.0.1:7800")
    .option("--timeout <seconds>", "give up after this many seconds", parseInteger("--timeout", 1, 3600), 60)
    .option(
      "--pid <pid>",
      "process id of the server; stop waiting if it exits",
      parseInteger("--pid", 1, 2 ** 31),
    )
    .action(async (flags: { url: string; timeout: number; pid?: number }) => {
      const result = await waitReady({ url: flags.url, timeoutMs: flags.timeout * 1000, pid: flags.pid });
      if (!result.ok) {
        process.stderr.write(`${formatWaitReadyFailure(result)}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write(`ready after ${result.attempts} attempt(s), ${Math.round(result.elapsedMs)} ms\n`);
    });

  program
    .command("audit")
    .description("approval audit trail")
    .command("verify")
    .description("check every workspace's approval audit hash chain; exit 1 naming the first bad row")
    .option("--workspace <workspace>", "check only this workspace (slug)")
    .addOption(dataDir())
    .addOption(configFile())
    .action(async (flags: { workspace?: string; dataDir?: string; config?: string }) => {
      const config = configFrom({ dataDir: flags.dataDir, config: flags.config });
      if (config.mode === "embedded" && !existsSync(join(config.dataDir, DATABASE_FILE))) {
        throw new UsageError(`no embedded store in ${config.dataDir} (set --data-dir)`);
      }
      await withStores(config, async (runtime) => {
        const outcome = await runAuditVerify(runtime.db, flags.workspace);
        if ("usageError" in outcome) throw new UsageError(outcome.usageError);
        const out = outcome.exitCode === 0 ? process.stdout : process.stderr;
        out.write(`${outcome.lines.join("\n")}\n`);
        process.exitCode = outcome.exitCode;
      });
    });

  program
    .command("mcp")
    .description("the MCP gateway's upstream servers")
    .command("list")
    .description("list a running server's upstream MCP servers: status, tools, latency, breaker, last error")
    .option("--url <url>", "base URL of the server", "http://127.0.0.1:7800")
    .option("--token <token>", "an API token (default: AGENTBOARD_TOKEN)")
    .option("--json", "print JSON instead of a table")
    .action(async (flags: { url: string; token?: string; json?: boolean }) => {
      const token = flags.token ?? process.env.AGENTBOARD_TOKEN;
      if (!token)
        throw new UsageError("mcp list needs --token or AGENTBOARD_TOKEN (agentboard token create …)");
      process.stdout.write(await runMcpList({ url: flags.url, token, json: flags.json }));
    });

  // The agent directory of a running server, over /api/agents (like `mcp list`: the server fetches cards
  // through its SSRF guard and tells connected pages, which the embedded store alone could not).
  const agent = program.command("agent").description("the agent directory (A2A agents) of a running server");
  const remote = (command: Command) =>
    command
      .option("--url <url>", "base URL of the server", "http://127.0.0.1:7800")
      .option("--token <token>", "an API token (default: AGENTBOARD_TOKEN)");
  const targetOf = (flags: { url: string; token?: string }, what: string) => {
    const token = flags.token ?? process.env.AGENTBOARD_TOKEN;
    if (!token) throw new UsageError(`${what} needs --token or AGENTBOARD_TOKEN (agentboard token create …)`);
    return { url: flags.url, token };
  };
  remote(agent.command("list"))
    .description("list the workspace's agents: id, name, kind, status, latency, last check")
    .option("--json", "print JSON instead of a table")
    .action(async (flags: { url: string; token?: string; json?: boolean }) => {
      process.stdout.write(await runAgentList({ ...targetOf(flags, "agent list"), json: flags.json }));
    });
  remote(agent.command("add"))
    .description("register a remote A2A agent by its card URL (owners and admins)")
    .argument("<cardUrl>", "URL of the agent card, e.g. https://host/.well-known/agent-card.json")
    .option("--json", "print the registered agent as JSON")
    .action(async (cardUrl: string, flags: { url: string; token?: string; json?: boolean }) => {
      process.stdout.write(await runAgentAdd({ ...targetOf(flags, "agent add"), cardUrl, json: flags.json }));
    });
  remote(agent.command("edit"))
    .description("edit an agent's card (owners and admins); an empty value clears a field")
    .argument("<id>", "agent id (see agent list)")
    .option("--display-name <name>", "the name the app shows")
    .option("--role <role>", "what the agent does, in a few words")
    .option("--icon-url <url>", "an http(s) icon URL")
    .option("--aliases <names>", "other names, comma-separated (replaces the list)")
    .option("--json", "print the updated agent as JSON")
    .action(async (id: string, flags: AgentEdits & { url: string; token?: string; json?: boolean }) => {
      const patch = agentPatchOf(flags);
      if (!patch) throw new UsageError("agent edit needs --display-name, --role, --icon-url or --aliases");
      process.stdout.write(
        await runAgentEdit({ ...targetOf(flags, "agent edit"), id, patch, json: flags.json }),
      );
    });
  remote(agent.command("rm"))
    .description("remove a remote agent from the directory by id (see agent list)")
    .argument("<id>", "agent id")
    .action(async (id: string, flags: { url: string; token?: string }) => {
      process.stdout.write(await runAgentRemove({ ...targetOf(flags, "agent rm"), id }));
    });

  return program;
}

export async function runCli(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // The message was already printed by commander; --help and --version are not errors.
      process.exit(
        error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.exitCode === 0
          ? 0
          : 2,
      );
    }
    if (error instanceof ConfigError || error instanceof UsageError) {
      process.stderr.write(`agentboard: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`agentboard: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
