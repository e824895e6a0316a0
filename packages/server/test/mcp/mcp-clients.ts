import {
  Client as ClientV2,
  StreamableHTTPClientTransport as TransportV2,
} from "@modelcontextprotocol/client";
import { Client as ClientV1 } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport as TransportV1 } from "@modelcontextprotocol/sdk/client/streamableHttp.js";

const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

/** The v2 SDK client on the 2026-07-28 revision (pinned: no fallback to the 2025 handshake). */
export async function connectV2Modern(baseUrl: string, token: string): Promise<ClientV2> {
  const client = new ClientV2(
    { name: "test-v2-modern", version: "1.0.0" },
    { versionNegotiation: { mode: { pin: "2026-07-28" } } },
  );
  await client.connect(new TransportV2(new URL(`${baseUrl}/mcp`), { requestInit: bearer(token) }));
  return client;
}

/** The v2 SDK client with its default handshake (2025 `initialize`: a session on our side). */
export async function connectV2Legacy(baseUrl: string, token: string): Promise<ClientV2> {
  const client = new ClientV2({ name: "test-v2-legacy", version: "1.0.0" });
  await client.connect(new TransportV2(new URL(`${baseUrl}/mcp`), { requestInit: bearer(token) }));
  return client;
}

/** The v1 SDK (`@modelcontextprotocol/sdk`) client, as most clients in the wild run it. */
export async function connectV1(
  baseUrl: string,
  token: string,
): Promise<{ client: ClientV1; transport: TransportV1 }> {
  const client = new ClientV1({ name: "test-v1", version: "1.0.0" });
  const transport = new TransportV1(new URL(`${baseUrl}/mcp`), { requestInit: bearer(token) });
  await client.connect(transport);
  return { client, transport };
}

/** A widget for render_widget. */
export function noteWidget(id: string, markdown: string) {
  return { id, type: "note", title: `Note ${id}`, props: { markdown } };
}

/** The body of the 2025-era `initialize` a plain HTTP client (no SDK) sends to open a session. */
export function initializeBody(clientName: string): string {
  return JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: clientName, version: "1" },
    },
  });
}
