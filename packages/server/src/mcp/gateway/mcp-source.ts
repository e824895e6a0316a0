import {
  SourceFailure,
  type SourceRun,
  type WidgetSource,
  type WidgetSourceRunner,
} from "../../dashboards/widget-source-runner.js";
import { type McpGateway, TOOL_SEPARATOR } from "./gateway.js";

/**
 * Widgets bound to an MCP tool (`source.kind: "mcp"`): Retry calls the tool through the gateway as the
 * person who pressed it. A gated tool is refused: a refresh must never run (or queue) a destructive call.
 * The data is the result's structuredContent, else its first text content parsed as JSON.
 */
export class McpSourceRunner implements WidgetSourceRunner {
  constructor(private readonly gateway: McpGateway) {}

  async handles(source: WidgetSource): Promise<boolean> {
    return source.kind === "mcp";
  }

  async run({ principal, source, signal }: SourceRun): Promise<unknown> {
    if (source.kind !== "mcp") throw new SourceFailure("refused", "not an MCP source");
    const name = `${source.server}${TOOL_SEPARATOR}${source.tool}`;
    const tool = this.gateway.tools().find((candidate) => candidate.name === name);
    if (!tool)
      throw new SourceFailure("unreachable", `no MCP tool "${name}" (unknown, not allowed or not connected)`);
    if (tool.requiresApproval) {
      throw new SourceFailure("refused", `"${name}" needs approval; a refresh does not run gated tools`);
    }
    let result: Awaited<ReturnType<McpGateway["callTool"]>>;
    try {
      result = await this.gateway.callTool(principal, name, source.args ?? {}, { signal });
    } catch (error) {
      if (signal.aborted) throw new SourceFailure("timeout", "the tool did not answer in time");
      throw new SourceFailure("unreachable", error instanceof Error ? error.message : String(error));
    }
    // callTool re-checks the gate; anything pending here means the policy changed under us.
    if (result.pending) throw new SourceFailure("refused", `"${name}" needs approval`);
    const call = result.result;
    const text = call.content?.find((item) => item.type === "text")?.text;
    if (call.isError) throw new SourceFailure("failed", text ?? "the tool reported an error");
    if (call.structuredContent) return call.structuredContent;
    if (text === undefined)
      throw new SourceFailure("invalid_data", "the result has no structured or text content");
    try {
      return JSON.parse(text);
    } catch {
      throw new SourceFailure("invalid_data", "the text content is not JSON");
    }
  }
}
