#!/usr/bin/env node
// @ts-check
// Demo status agent: a real A2A 1.0 agent on the @a2a-js/sdk's server side (an AgentExecutor behind the
// SDK's DefaultRequestHandler and JsonRpcTransportHandler, on plain node:http), not an agentboard client.
// It serves one skill, `service_status`, whose answer is a DataPart with metrics props. `agentboard start
// --demo` runs it on a loopback port chosen at start, registers it in the agent directory by its card URL
// and binds the "Service status" widget to it, so Retry on that widget calls it over A2A.
//
//   node examples/demo/status-agent.mjs     # prints its card URL; register it with `agentboard agent add`
import { createServer } from "node:http";
import { AgentCard, Message } from "@a2a-js/sdk";
import {
  AgentEvent,
  DefaultRequestHandler,
  InMemoryTaskStore,
  JsonRpcTransportHandler,
  ServerCallContext,
} from "@a2a-js/sdk/server";
import { exitWith, log, messageOf } from "./agent-support.mjs";

const NAME = "Service status agent";
const SKILL = "service_status";
/** A JSON-RPC request larger than this is refused: ours carry a skill name and a small input. */
const MAX_BODY_BYTES = 64 * 1024;

let checks = 0;

/** The metrics props the widget shows: a little movement on every check, so a refresh is visible. */
function serviceStatus() {
  checks++;
  const jitter = (/** @type {number} */ spread) => Math.round((Math.random() - 0.5) * spread * 100) / 100;
  return {
    items: [
      { label: "API uptime", value: Math.min(100, 99.95 + jitter(0.08)), unit: "%" },
      { label: "Error rate", value: Math.max(0, 0.42 + jitter(0.3)), unit: "%" },
      { label: "Queue depth", value: Math.max(0, Math.round(18 + jitter(20))) },
      { label: "Status checks", value: checks },
    ],
  };
}

/** @type {import("@a2a-js/sdk/server").AgentExecutor} */
const executor = {
  async execute(context, bus) {
    const skill = context.userMessage.metadata?.skill;
    // The answer in A2A's JSON form: one DataPart (the widget's props), or a text saying what we serve.
    const part =
      skill === SKILL
        ? { data: serviceStatus(), mediaType: "application/json" }
        : { text: `unknown skill ${String(skill)}; try ${SKILL}` };
    const answer = Message.fromJSON({
      messageId: `status-${context.userMessage.messageId}`,
      contextId: context.contextId,
      role: "ROLE_AGENT",
      parts: [part],
    });
    bus.publish(AgentEvent.message(answer));
    bus.finished();
  },
  cancelTask: async () => {},
};

/** @param {string} base */
function card(base) {
  return AgentCard.fromJSON({
    name: NAME,
    description: "Uptime, error rate and queue depth of the demo services",
    version: "1.0.0",
    supportedInterfaces: [{ url: `${base}/a2a`, protocolBinding: "JSONRPC", protocolVersion: "1.0" }],
    capabilities: { streaming: false },
    defaultInputModes: ["application/json"],
    defaultOutputModes: ["application/json"],
    skills: [
      {
        id: SKILL,
        name: "Service status",
        description: "Current uptime, error rate and queue depth, as metrics",
        tags: ["status", "metrics"],
      },
    ],
  });
}

/** @type {DefaultRequestHandler | undefined} */
let handler;

/** @param {import("node:http").ServerResponse} res @param {number} status @param {unknown} body */
function sendJson(res, status, body) {
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(body));
}

const server = createServer((req, res) => {
  if (!handler) return sendJson(res, 503, { error: "starting" });
  const rpcHandler = handler;
  if (req.method === "GET" && req.url === "/.well-known/agent-card.json") {
    void rpcHandler.getAgentCard().then((c) => sendJson(res, 200, AgentCard.toJSON(c)));
    return;
  }
  if (req.method !== "POST" || req.url !== "/a2a") return sendJson(res, 404, { error: "not found" });
  /** @type {Buffer[]} */
  const chunks = [];
  let size = 0;
  req.on("data", (/** @type {Buffer} */ chunk) => {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) {
      sendJson(res, 413, { error: "request too large" });
      req.destroy();
    } else chunks.push(chunk);
  });
  req.on("end", async () => {
    try {
      const rpc = new JsonRpcTransportHandler(rpcHandler);
      const result = await rpc.handle(Buffer.concat(chunks).toString("utf8"), new ServerCallContext());
      if (Symbol.asyncIterator in Object(result)) {
        // The card says streaming: false; a streaming call gets A2A's "unsupported operation".
        await /** @type {AsyncGenerator} */ (result).return(undefined);
        const id = /** @type {{ id?: unknown }} */ (JSON.parse(Buffer.concat(chunks).toString("utf8"))).id;
        sendJson(res, 200, {
          jsonrpc: "2.0",
          id: id ?? null,
          error: { code: -32004, message: "streaming is not offered" },
        });
      } else sendJson(res, 200, result);
    } catch (error) {
      sendJson(res, 500, { error: messageOf(error) });
    }
  });
});

// Loopback only, on a port the system picks: the agentboard server that started it is its only caller.
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  const base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  handler = new DefaultRequestHandler(card(base), new InMemoryTaskStore(), executor);
  const cardUrl = `${base}/.well-known/agent-card.json`;
  log(`status-agent: A2A agent "${NAME}" at ${cardUrl}`);
  // The parent registers the card URL in the agent directory (agentboard start --demo).
  process.send?.({ type: "ready", cardUrl });
});

exitWith(
  () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);
