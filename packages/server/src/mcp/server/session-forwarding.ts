import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { Readable } from "node:stream";

/**
 * Set on a request one node forwards to another. The receiving node answers it from its own sessions and
 * never forwards it again, so a stale record can never bounce a request between nodes. A client sending it
 * only turns forwarding off for its own request.
 */
export const FORWARDED_HEADER = "x-agentboard-mcp-forwarded";

/** A node that does not accept the connection within this long is taken as gone. */
const CONNECT_TIMEOUT_MS = 2_000;

/** Connection-level headers: they describe one hop, not the request (RFC 9110 §7.6.1), or are set anew. */
const HOP_HEADERS = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "content-length",
  "host",
]);

export type Forwarded =
  | { kind: "answered"; response: Response }
  /** The owner did not take the connection: it stopped, so the session is gone with it. */
  | { kind: "unreachable"; error: Error }
  /** The client went away first. */
  | { kind: "aborted" };

/**
 * Sends `request` to the same path on `nodeUrl` and streams the answer back, the notification stream (GET) and
 * a call's SSE answer included, for as long as both ends keep them open. The bearer token travels as it came,
 * so the owner authenticates the caller again; `Host` becomes the owner's own name for itself. Node's http
 * client rather than fetch: no header or body timeouts, since an approval wait may take an hour.
 */
export function forwardToNode(
  request: Request,
  parsedBody: unknown,
  nodeUrl: string,
  signal: AbortSignal,
): Promise<Forwarded> {
  const incoming = new URL(request.url);
  const target = new URL(incoming.pathname + incoming.search, nodeUrl);
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    if (!HOP_HEADERS.has(name)) headers[name] = value;
  });
  headers.host = target.host;
  headers[FORWARDED_HEADER] = "1";
  const body =
    request.method === "POST" && parsedBody !== undefined
      ? Buffer.from(JSON.stringify(parsedBody))
      : undefined;
  if (body) headers["content-length"] = String(body.length);

  return new Promise<Forwarded>((resolve) => {
    if (signal.aborted) {
      resolve({ kind: "aborted" });
      return;
    }
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const outgoing = send(target, { method: request.method, headers });
    let connectTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      outgoing.destroy(new Error("the client went away"));
      resolve({ kind: "aborted" });
    };
    signal.addEventListener("abort", onAbort, { once: true });
    const settle = (result: Forwarded) => {
      clearTimeout(connectTimer);
      resolve(result);
    };
    outgoing.on("socket", (socket) => {
      if (!socket.connecting) return;
      connectTimer = setTimeout(
        () =>
          outgoing.destroy(new Error(`no connection to ${target.origin} within ${CONNECT_TIMEOUT_MS} ms`)),
        CONNECT_TIMEOUT_MS,
      );
      socket.once("connect", () => clearTimeout(connectTimer));
    });
    outgoing.on("error", (error) => {
      signal.removeEventListener("abort", onAbort);
      settle(signal.aborted ? { kind: "aborted" } : { kind: "unreachable", error });
    });
    outgoing.on("response", (answer) => {
      // From here the answer's body carries the client's going away (its stream is cancelled).
      signal.removeEventListener("abort", onAbort);
      const status = answer.statusCode ?? 502;
      const nullBody = status === 204 || status === 205 || status === 304;
      if (nullBody) answer.resume();
      settle({
        kind: "answered",
        response: new Response(nullBody ? null : (Readable.toWeb(answer) as ReadableStream<Uint8Array>), {
          status,
          headers: answerHeaders(answer.headers),
        }),
      });
    });
    outgoing.end(body);
  });
}

function answerHeaders(headers: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_HEADERS.has(name)) continue;
    for (const one of Array.isArray(value) ? value : [value]) out.append(name, one);
  }
  return out;
}
