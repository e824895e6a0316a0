import { App, PostMessageTransport } from "@modelcontextprotocol/ext-apps";
import { createRoot } from "react-dom/client";
import { createStore } from "zustand";
import "./mcp-app.css";
import { WidgetApp } from "./WidgetApp";
import { errorMessageOf, INITIAL_VIEW, refreshArguments, withToolInput, withToolResult } from "./widget-view";

// The MCP Apps view of render_widget and read_dashboard (packages/web/mcp-app, built into one HTML file).
const view = createStore(() => INITIAL_VIEW);
const app = new App({ name: "agentboard-widget", version: "0.1.0" }, {}, { autoResize: true });

// Handlers first: the host may send the tool's input and result right after the handshake.
app.ontoolinput = (params) => view.setState((current) => withToolInput(current, params.arguments));
app.ontoolresult = (result) => view.setState((current) => withToolResult(current, result));

async function refresh(): Promise<void> {
  const result = await app.callServerTool({
    name: "read_dashboard",
    arguments: refreshArguments(view.getState()),
  });
  // A failed refresh keeps what is shown; the Refresh button says why it failed.
  if (result.isError) throw new Error(errorMessageOf(result));
  view.setState((current) => withToolResult(current, result));
}

function openLink(url: string): void {
  void app.openLink({ url }).catch(() => {
    // The host declined (or cannot open links): nothing else this view may do with it.
  });
}

const root = document.getElementById("root");
if (!root) throw new Error("widget.html has no #root element");
createRoot(root).render(<WidgetApp view={view} refresh={refresh} openLink={openLink} />);
try {
  await app.connect(new PostMessageTransport(window.parent, window.parent));
} catch (error) {
  // Opened outside an MCP Apps host (or the host refused the handshake): say so instead of waiting forever.
  const reason = error instanceof Error ? error.message : String(error);
  view.setState({ phase: "error", error: `No MCP Apps host answered: ${reason}` });
}
