import {
  AgentboardError,
  MCP_BUILTIN_TOOL_NAMES,
  MCP_DASHBOARD_URI_PREFIX,
  mcpDashboardUri,
} from "@agentboard/protocol";
import {
  type CallToolResult,
  McpServer,
  ProtocolError,
  ProtocolErrorCode,
  ResourceNotFoundError,
  ResourceTemplate,
  type Tool,
} from "@modelcontextprotocol/server";
import type { IdentityStore } from "../../auth/identity-store.js";
import type { Principal } from "../../auth/principal.js";
import { resolveDashboard } from "../../dashboards/dashboard-access.js";
import type { DashboardDirectory } from "../../dashboards/dashboard-directory.js";
import { listReadableDashboards } from "../../dashboards/dashboard-directory.js";
import type { DashboardService } from "../../dashboards/dashboard-service.js";
import { type AgentboardToolDeps, AgentboardTools, type ToolCallContext } from "./agentboard-tools.js";
import type { McpToolProvider } from "./tool-provider.js";
import { registerWidgetApp } from "./widget-app.js";

export interface McpServerDeps extends AgentboardToolDeps {
  identity: IdentityStore;
  dashboards: DashboardService;
  dashboardDirectory: DashboardDirectory;
  /** Further tools (the gateway's `<server>__<tool>`), merged into tools/list and tools/call. */
  toolProviders: readonly McpToolProvider[];
  /** Aborted when the app closes: ends waits that would otherwise hold the shutdown. */
  closing: AbortSignal;
  version: string;
  /** The built MCP Apps widget view (`ui://agentboard/widget`); read on each resources/read. */
  widgetAppFile: string;
}

/** Which dashboard resources a 2025-era session asked to hear about (`resources/subscribe`). */
export type ResourceSubscriptions = Set<string>;

const BUILTIN = new Set<string>(MCP_BUILTIN_TOOL_NAMES);
const tools = new WeakMap<McpServerDeps, Map<Principal["kind"], AgentboardTools>>();

function builtinTools(deps: McpServerDeps, kind: Principal["kind"]): AgentboardTools {
  let byKind = tools.get(deps);
  if (!byKind) {
    byKind = new Map();
    tools.set(deps, byKind);
  }
  let found = byKind.get(kind);
  if (!found) {
    found = new AgentboardTools(deps, kind);
    byKind.set(kind, found);
  }
  return found;
}

/**
 * One MCP server instance for one principal: a 2025-era session (pinned to the principal that opened it)
 * or one 2026-07-28 request. Tools are answered by hand (`tools/list`, `tools/call`) rather than through
 * `registerTool`, so agentboard's own tools and the providers' tools form one list and one dispatch.
 * `subscriptions` is given for 2025-era sessions only; 2026-07-28 clients use `subscriptions/listen`.
 */
export function buildMcpServer(
  deps: McpServerDeps,
  principal: Principal,
  subscriptions?: ResourceSubscriptions,
): McpServer {
  const server = new McpServer(
    { name: "agentboard", version: deps.version },
    {
      capabilities: {
        // Providers that report changes (the gateway: upstreams connect, go away, change their tools).
        tools: { listChanged: deps.toolProviders.some((provider) => provider.onToolsChanged !== undefined) },
        resources: { subscribe: true, listChanged: false },
      },
      instructions:
        "agentboard: draw widgets on a user's live dashboard (render_widget, read_dashboard, patch_dashboard, remove_widget) and ask a human to approve an action (request_approval waits for the decision). Resource agentboard://dashboards/{id} is the dashboard document.",
    },
  );
  const own = builtinTools(deps, principal.kind);

  server.server.setRequestHandler("tools/list", async () => {
    const provided = await Promise.allSettled(deps.toolProviders.map((provider) => provider.list(principal)));
    const extra: Tool[] = [];
    for (const result of provided) {
      // A failing provider costs its own tools, never the list.
      if (result.status !== "fulfilled") continue;
      for (const tool of result.value) if (!BUILTIN.has(tool.name)) extra.push(tool);
    }
    return { tools: [...own.list(), ...extra] };
  });

  server.server.setRequestHandler("tools/call", async (request, ctx): Promise<CallToolResult> => {
    const { name, arguments: args } = request.params;
    const signal = linkedSignal(ctx.mcpReq.signal, deps.closing);
    const progressToken = ctx.mcpReq._meta?.progressToken;
    const context: ToolCallContext = {
      signal: signal.signal,
      async progress(progress, message) {
        if (progressToken === undefined) return;
        await ctx.mcpReq.notify({
          method: "notifications/progress",
          params: { progressToken, progress, message },
        });
      },
    };
    try {
      if (own.has(name)) return await own.call(principal, name, args, context);
      for (const provider of deps.toolProviders) {
        const listed = await provider.list(principal);
        if (listed.some((tool) => tool.name === name))
          return await provider.call(principal, name, args ?? {}, signal.signal);
      }
    } finally {
      signal.dispose();
    }
    // Unknown tools are a protocol error (the spec's example: -32602), not something the model retries.
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${name}`);
  });

  server.registerResource(
    "dashboard",
    new ResourceTemplate(`${MCP_DASHBOARD_URI_PREFIX}{id}`, {
      list: async () => {
        const items = await listReadableDashboards(deps.identity, deps.dashboardDirectory, principal);
        return {
          resources: items.map((item) => ({
            uri: mcpDashboardUri(item.id),
            name: item.id,
            title: item.title ?? item.id,
            mimeType: "application/json",
          })),
        };
      },
    }),
    {
      title: "Dashboard",
      description:
        'A dashboard document {rev, schemaVersion, updatedAt, state}; id is "me", "user:<id>" or a slug',
      mimeType: "application/json",
    },
    async (uri, variables) => {
      const id = String(variables.id);
      const key = await resolveForRead(deps, principal, id, uri.href);
      const doc = await deps.dashboards.get(key);
      return { contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(doc) }] };
    },
  );

  registerWidgetApp(server, deps.widgetAppFile);

  if (subscriptions) {
    // 2025-era per-resource subscriptions: only dashboards this principal may read.
    server.server.setRequestHandler("resources/subscribe", async (request) => {
      const uri = request.params.uri;
      await resolveForRead(deps, principal, dashboardIdOf(uri), uri);
      subscriptions.add(uri);
      return {};
    });
    server.server.setRequestHandler("resources/unsubscribe", async (request) => {
      subscriptions.delete(request.params.uri);
      return {};
    });
  }
  return server;
}

/** The `{id}` of `agentboard://dashboards/{id}`, or an invalid-params protocol error. */
export function dashboardIdOf(uri: string): string {
  if (!uri.startsWith(MCP_DASHBOARD_URI_PREFIX))
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, `not an agentboard resource: ${uri}`, { uri });
  return decodeURIComponent(uri.slice(MCP_DASHBOARD_URI_PREFIX.length));
}

async function resolveForRead(deps: McpServerDeps, principal: Principal, id: string, uri: string) {
  try {
    return await resolveDashboard(deps.identity, principal, id, "read");
  } catch (error) {
    if (!AgentboardError.isInstance(error)) throw error;
    if (error.code === "not_found") throw new ResourceNotFoundError(uri);
    throw new ProtocolError(ProtocolErrorCode.InvalidParams, error.message, { uri, error: error.code });
  }
}

/**
 * An AbortSignal that fires when either input does (AbortSignal.any is missing on Node 20.0, which the
 * engines allow); `dispose` removes the listeners once the call is over.
 */
function linkedSignal(a: AbortSignal, b: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onA = () => controller.abort(a.reason);
  const onB = () => controller.abort(b.reason);
  if (a.aborted) onA();
  else if (b.aborted) onB();
  a.addEventListener("abort", onA, { once: true });
  b.addEventListener("abort", onB, { once: true });
  return {
    signal: controller.signal,
    dispose() {
      a.removeEventListener("abort", onA);
      b.removeEventListener("abort", onB);
    },
  };
}
