import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { MCP_WIDGET_APP_TOOLS, MCP_WIDGET_APP_URI } from "@agentboard/protocol";
import type { McpUiResourceMeta } from "@modelcontextprotocol/ext-apps";
import {
  type McpUiReadResourceResult,
  RESOURCE_MIME_TYPE,
  RESOURCE_URI_META_KEY,
  registerAppResource,
} from "@modelcontextprotocol/ext-apps/server";
import { type McpServer, ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/server";
import { DEFAULT_WEB_DIST } from "../../web/web-app.js";

/**
 * The widget app's build: the web package's second Vite build (packages/web/mcp-app) writes it into the
 * web app's dist, so a checkout finds it there and an installed server in its own copy of that dist.
 */
export const DEFAULT_WIDGET_APP_FILE = join(DEFAULT_WEB_DIST, "mcp-app", "widget.html");

/**
 * What the app may do, per MCP Apps: no network at all (no connect, resource, frame or base-uri domains).
 * Everything it shows arrives through the host bridge; the HTML also carries its own CSP meta tag that
 * allows only its one inline script (by hash) and style.
 */
const WIDGET_APP_UI_META: McpUiResourceMeta = {
  csp: { connectDomains: [], resourceDomains: [], frameDomains: [], baseUriDomains: [] },
  prefersBorder: true,
};

const TOOLS_WITH_APP = new Set<string>(MCP_WIDGET_APP_TOOLS);

/**
 * The tool `_meta` that points a host at the widget app, in the current form (`ui.resourceUri`) and the
 * older flat key hosts still read (`ui/resourceUri`); undefined for tools without the app.
 */
export function widgetAppToolMeta(toolName: string): Record<string, unknown> | undefined {
  if (!TOOLS_WITH_APP.has(toolName)) return undefined;
  return { ui: { resourceUri: MCP_WIDGET_APP_URI }, [RESOURCE_URI_META_KEY]: MCP_WIDGET_APP_URI };
}

/**
 * Reads the built app. It is read on each `resources/read` (hosts fetch it once per conversation at most),
 * so a rebuild is served without a restart. A missing build is the server's problem, not the caller's:
 * an internal error that says what to run, while the tools themselves keep working.
 */
export async function readWidgetApp(file: string): Promise<McpUiReadResourceResult> {
  let html: string;
  try {
    html = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    throw new ProtocolError(
      ProtocolErrorCode.InternalError,
      `the widget app is not built (${file} is missing): run \`npm run build\` in the agentboard checkout`,
      { uri: MCP_WIDGET_APP_URI },
    );
  }
  return {
    contents: [
      {
        uri: MCP_WIDGET_APP_URI,
        mimeType: RESOURCE_MIME_TYPE,
        text: html,
        _meta: { ui: WIDGET_APP_UI_META },
      },
    ],
  };
}

/** Lists and serves `ui://agentboard/widget` on one MCP server instance. */
export function registerWidgetApp(server: McpServer, file: string): void {
  registerAppResource(
    server,
    "widget",
    MCP_WIDGET_APP_URI,
    {
      title: "agentboard widget",
      description:
        "MCP Apps view of render_widget and read_dashboard results: the widgets as the agentboard web app draws them, with a Refresh that calls read_dashboard through the host",
      _meta: { ui: WIDGET_APP_UI_META },
    },
    () => readWidgetApp(file),
  );
}
