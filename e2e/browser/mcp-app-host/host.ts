// A minimal MCP Apps host page, bundled for Chromium by e2e/browser/mcp-app.test.ts (esbuild, at set-up):
// ext-apps' host-side AppBridge talks to the view in a sandboxed iframe over postMessage, and sends the
// view's tools/call on to the test's MCP client (in Node, through `window.hostCallTool`), as a chat host
// sends them on to the MCP server the tool came from.
import { AppBridge, PostMessageTransport } from "@modelcontextprotocol/ext-apps/app-bridge";

type CallTool = NonNullable<AppBridge["oncalltool"]>;
type ToolResult = Parameters<AppBridge["sendToolResult"]>[0];

declare global {
  interface Window {
    /** Exposed by the test: runs the call with its MCP client connected to agentboard's /mcp. */
    hostCallTool(params: Parameters<CallTool>[0]): ReturnType<CallTool>;
    mcpAppHost: { show: typeof show; openedLinks: string[] };
  }
}

const openedLinks: string[] = [];

/** Loads the view's HTML into a sandboxed frame, waits for its handshake, then hands it the tool call. */
async function show(html: string, toolInput: Record<string, unknown>, toolResult: ToolResult): Promise<void> {
  const iframe = document.createElement("iframe");
  // Scripts only: an opaque origin, no same-origin access to this page, no popups, no top navigation.
  iframe.setAttribute("sandbox", "allow-scripts");
  iframe.title = "agentboard widget";
  iframe.style.width = "640px";
  iframe.style.border = "0";
  document.body.append(iframe);
  const view = iframe.contentWindow;
  if (!view) throw new Error("the frame has no window");

  const bridge = new AppBridge(
    null,
    { name: "e2e-host", version: "1.0.0" },
    { serverTools: {}, openLinks: {} },
  );
  bridge.oncalltool = (params) => window.hostCallTool(params);
  bridge.onopenlink = async ({ url }) => {
    openedLinks.push(url);
    return {};
  };
  bridge.onsizechange = ({ height }) => {
    if (height !== undefined) iframe.style.height = `${height}px`;
  };
  const initialized = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the view did not initialize within 20 s")), 20_000);
    bridge.oninitialized = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  // Listening before the view loads: it starts the handshake as soon as its script runs.
  await bridge.connect(new PostMessageTransport(view, view));
  iframe.srcdoc = html;
  await initialized;
  await bridge.sendToolInput({ arguments: toolInput });
  await bridge.sendToolResult(toolResult);
}

window.mcpAppHost = { show, openedLinks };
