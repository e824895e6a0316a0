import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { MCP_WIDGET_APP_URI } from "@agentboard/protocol";
import { type Caller, startTestServer, type TestServer } from "@agentboard/test-support";
import {
  getToolUiResourceUri,
  McpUiResourceMetaSchema,
  RESOURCE_MIME_TYPE,
} from "@modelcontextprotocol/ext-apps/app-bridge";
import { ProtocolError, ProtocolErrorCode } from "@modelcontextprotocol/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_WIDGET_APP_FILE, readWidgetApp } from "../../src/mcp/server/widget-app.js";
import { connectV1, connectV2Legacy, connectV2Modern, noteWidget } from "./mcp-clients.js";

let server: TestServer;
let alice: Caller;

beforeAll(async () => {
  // The widget app is the web package's second build: `npm test` (scripts/ensure-ready.mjs) makes it.
  expect(existsSync(DEFAULT_WIDGET_APP_FILE), `${DEFAULT_WIDGET_APP_FILE}: run npm run build`).toBe(true);
  server = await startTestServer();
  alice = await server.caller({ name: "alice", role: "member" });
});

afterAll(async () => {
  await server?.close();
});

/** ext-apps' host-side lookup, for tools from either SDK's client. */
const uiUriOf = (tool: unknown) => getToolUiResourceUri(tool as Parameters<typeof getToolUiResourceUri>[0]);

const sha256 = (text: string) => `sha256-${createHash("sha256").update(text, "utf8").digest("base64")}`;

/** Every `<tag …>` of the HTML outside the inline script and style (their text is code, not markup). */
function markupOf(html: string): string {
  return html
    .replace(/<script\b[^>]*>[\s\S]*?<\/script>/gi, "")
    .replace(/<style\b[^>]*>[\s\S]*?<\/style>/gi, "");
}

describe("MCP Apps: the widget view of render_widget and read_dashboard", () => {
  it.each([
    ["v2 SDK, 2026-07-28", connectV2Modern],
    ["v2 SDK, 2025 session", connectV2Legacy],
    ["v1 SDK", async (url: string, token: string) => (await connectV1(url, token)).client],
  ])("tools/list links render_widget and read_dashboard to %s's host", async (_label, connect) => {
    const client = await connect(server.url, alice.token);
    try {
      const { tools } = await client.listTools();
      const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
      for (const name of ["render_widget", "read_dashboard"]) {
        // How a host finds the view: ext-apps' own helper reads both the current and the older key.
        expect(uiUriOf(byName[name]), name).toBe(MCP_WIDGET_APP_URI);
        expect(byName[name]!._meta).toEqual({
          ui: { resourceUri: MCP_WIDGET_APP_URI },
          "ui/resourceUri": MCP_WIDGET_APP_URI,
        });
      }
      for (const name of ["remove_widget", "patch_dashboard", "request_approval", "get_approval"]) {
        expect(uiUriOf(byName[name]), name).toBeUndefined();
      }
    } finally {
      await client.close();
    }
  });

  it("resources/read answers one self-contained HTML file with the MCP Apps mime type and a closed CSP", async () => {
    const client = await connectV2Legacy(server.url, alice.token);
    try {
      const { resources } = await client.listResources();
      expect(resources.find((resource) => resource.uri === MCP_WIDGET_APP_URI)).toMatchObject({
        mimeType: RESOURCE_MIME_TYPE,
        _meta: { ui: { csp: { connectDomains: [], resourceDomains: [] } } },
      });

      const read = await client.readResource({ uri: MCP_WIDGET_APP_URI });
      expect(read.contents).toHaveLength(1);
      const content = read.contents[0] as { uri: string; mimeType: string; text: string; _meta?: any };
      expect(content.uri).toBe(MCP_WIDGET_APP_URI);
      expect(content.mimeType).toBe("text/html;profile=mcp-app");
      // The spec's resource metadata: no domain of any kind, so hosts grant no network.
      const ui = McpUiResourceMetaSchema.parse(content._meta?.ui);
      expect(ui.csp).toEqual({
        connectDomains: [],
        resourceDomains: [],
        frameDomains: [],
        baseUriDomains: [],
      });

      const html = content.text;
      expect(html).toMatch(/^<!doctype html>/i);
      const markup = markupOf(html);
      // Nothing loaded from anywhere: no src/href attributes at all, no stylesheet links, no URLs in markup.
      expect(markup).not.toMatch(/\s(src|href)\s*=/i);
      expect(markup).not.toMatch(/<link\b/i);
      expect(markup).not.toMatch(/https?:\/\//i);
      expect(html).not.toMatch(/<script\b[^>]*\ssrc\s*=/i);

      // Its own CSP meta tag: nothing by default, no connections, and only these exact inline blocks run.
      const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
      expect(csp, "CSP meta tag").toBeDefined();
      const directives = new Map(
        csp!.split(";").map((part) => {
          const [name = "", ...values] = part.trim().split(/\s+/);
          return [name, values.join(" ")] as const;
        }),
      );
      expect(directives.get("default-src")).toBe("'none'");
      expect(directives.get("connect-src")).toBe("'none'");
      expect(directives.get("base-uri")).toBe("'none'");
      const scripts = [...html.matchAll(/<script type="module">([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
      const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
      expect(scripts).toHaveLength(1);
      expect(styles).toHaveLength(1);
      expect(directives.get("script-src")).toBe(`'${sha256(scripts[0]!)}'`);
      expect(directives.get("style-src")).toBe(`'${sha256(styles[0]!)}'`);
      // The same widget components as the web app: its hooks and class names are in the bundle.
      expect(scripts[0]).toContain("data-widget-status");
      expect(styles[0]).toContain(".widget__title");
    } finally {
      await client.close();
    }
  });

  it("the tools do not depend on the view: render_widget and read_dashboard answer as before", async () => {
    const client = await connectV2Modern(server.url, alice.token);
    try {
      const rendered = await client.callTool({
        name: "render_widget",
        arguments: { widget: noteWidget("app-note", "shown in a host") },
      });
      expect(rendered.isError).toBeFalsy();
      const read = await client.callTool({ name: "read_dashboard", arguments: {} });
      expect((read.structuredContent as any).state.widgets["app-note"]).toMatchObject({ type: "note" });
    } finally {
      await client.close();
    }
  });

  it("a missing build is an internal error that says what to run, not a crash", async () => {
    const missing = join(server.dataDir, "no-such-build", "widget.html");
    const failure = await readWidgetApp(missing).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ProtocolError);
    expect((failure as ProtocolError).code).toBe(ProtocolErrorCode.InternalError);
    expect((failure as ProtocolError).message).toContain(missing);
    expect((failure as ProtocolError).message).toContain("npm run build");
  });
});
