import type { Readable } from "node:stream";
import { StreamableHTTPClientTransport, type Transport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import type { McpServerConfig } from "../../config/mcp-servers.js";
import { substituteVariables } from "../../config/mcp-servers.js";
import { guardedFetch } from "../../net/ssrf-guard.js";

/** The connection to one upstream: a stdio child with only its declared env, or Streamable HTTP behind the SSRF guard. */
export function buildUpstreamTransport(
  config: McpServerConfig,
  /** Where `${VAR}` in env and headers is read. */
  variables: Record<string, string | undefined>,
  onStderr: (text: string) => void,
): Transport {
  if ("command" in config) {
    const { values: env, missing } = substituteVariables(config.env, variables);
    if (missing.length > 0) throw new Error(`env refers to unset variable(s) ${missing.join(", ")}`);
    // Only the declared env plus the SDK's safe defaults (PATH, HOME, …): never agentboard's own
    // environment, which holds database URLs, metrics keys and tokens.
    const transport = new StdioClientTransport({
      command: config.command,
      args: config.args ?? [],
      env,
      ...(config.cwd ? { cwd: config.cwd } : {}),
      stderr: "pipe",
    });
    // Keep the end of stderr: when a server dies at start, that is where it says why.
    (transport.stderr as Readable | null)?.on("data", (chunk: Buffer) => onStderr(chunk.toString("utf8")));
    return transport;
  }
  const { values: headers, missing } = substituteVariables(config.headers, variables);
  if (missing.length > 0) throw new Error(`headers refer to unset variable(s) ${missing.join(", ")}`);
  return new StreamableHTTPClientTransport(new URL(config.url), {
    requestInit: { headers },
    fetch: guardedFetch({ allowPrivateNetwork: config.allowPrivateNetwork === true }),
  });
}
