import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { AgentCard, Role } from "@a2a-js/sdk";
import {
  AgentEvent,
  type AgentExecutionEvent,
  type AgentExecutor,
  DefaultRequestHandler,
  InMemoryTaskStore,
  JsonRpcTransportHandler,
  type RequestContext,
  ServerCallContext,
} from "@a2a-js/sdk/server";

export interface FixtureServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** node:http on 127.0.0.1:0 with one handler; open sockets are cut on close (hung requests too). */
export async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<FixtureServer> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  return {
    url,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A real A2A agent on the SDK's server side: DefaultRequestHandler + an executor, JSON-RPC over node:http.
 * Without `custom` it answers every message with the text "sunny".
 */
export async function startSdkAgent(
  name = "Weather agent",
  custom?: AgentExecutor,
): Promise<FixtureServer & { cardUrl: string }> {
  const executor: AgentExecutor = custom ?? {
    async execute(context, bus) {
      bus.publish(reply(context, { $case: "text", value: "sunny" }));
      bus.finished();
    },
    cancelTask: async () => {},
  };
  let base = "";
  const card = () =>
    AgentCard.fromJSON({
      name,
      description: "Says what the weather is",
      version: "1.0.0",
      supportedInterfaces: [{ url: `${base}/a2a`, protocolBinding: "JSONRPC", protocolVersion: "1.0" }],
      capabilities: { streaming: false },
      defaultInputModes: ["text/plain"],
      defaultOutputModes: ["text/plain"],
      skills: [{ id: "forecast", name: "Forecast", description: "Tomorrow's weather", tags: ["weather"] }],
    });
  let handler: DefaultRequestHandler | undefined;
  const fixture = await listen((req, res) => {
    handler ??= new DefaultRequestHandler(card(), new InMemoryTaskStore(), executor);
    if (req.method === "GET" && req.url === "/.well-known/agent-card.json") {
      void handler.getAgentCard().then((c) => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(AgentCard.toJSON(c)));
      });
      return;
    }
    if (req.method === "POST" && req.url === "/a2a") {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", async () => {
        const rpc = new JsonRpcTransportHandler(handler!);
        const result = await rpc.handle(Buffer.concat(chunks).toString("utf8"), new ServerCallContext());
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(result));
      });
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  base = fixture.url;
  return { ...fixture, cardUrl: `${fixture.url}/.well-known/agent-card.json` };
}

/** An SDK agent that answers each message with one DataPart, what `answer` gives for it (a throw fails). */
export function startDataAgent(name: string, answer: (context: RequestContext) => Promise<unknown>) {
  return startSdkAgent(name, {
    async execute(context, bus) {
      bus.publish(reply(context, { $case: "data", value: await answer(context) }));
      bus.finished();
    },
    cancelTask: async () => {},
  });
}

/** The agent's answer to the context's message: one part, a text or a DataPart (`{$case: "data", value}`). */
export function reply(
  context: RequestContext,
  content: { $case: "text"; value: string } | { $case: "data"; value: unknown },
): AgentExecutionEvent {
  return AgentEvent.message({
    messageId: `m-${context.userMessage.messageId}`,
    contextId: context.contextId,
    taskId: "",
    role: Role.ROLE_AGENT,
    parts: [{ content, metadata: undefined, filename: "", mediaType: "" }],
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  } as never);
}

/** A minimal valid 1.0 card for cheap fixtures. */
export function cardJson(name: string, url: string): Record<string, unknown> {
  return {
    name,
    description: `${name} fixture`,
    version: "1.0.0",
    supportedInterfaces: [{ url: `${url}/a2a`, protocolBinding: "JSONRPC", protocolVersion: "1.0" }],
    capabilities: {},
    defaultInputModes: ["text/plain"],
    defaultOutputModes: ["text/plain"],
    skills: [{ id: "s1", name: "Skill one", description: "d", tags: [] }],
  };
}
