import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";
import { Readable } from "node:stream";

/**
 * Set on a request one node forwards to another. The receiving node answers it from its own sessions and
 * never forwards it again, so a stale record can never bounce a request between nodes. A client sending it
 * only turns forwarding off for its own request.
 */
export const FORWARDED_HEADER = "x-agentboard-mcp-forwarded";

/** A node that does not accept the connection within this long is taken as not answering. */
const CONNECT_TIMEOUT_MS = 2_000;

/**
 * Silence on a forwarded exchange for this long ends it. The owner's SSE streams (a call's answer, the
 * notification stream) carry a keep-alive comment every 15 s (the SDK's default), so only a dead owner or
 * network is this quiet, and an approval wait of an hour is not cut.
 */
const IDLE_TIMEOUT_MS = 60_000;

/**
 * Connection errors that mean no process listens at the owner's address any more: it stopped or moved, and
 * its sessions are gone with it. Others (a timeout, a reset) may be a passing fault of a live owner.
 */
const OWNER_GONE = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

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
  /** Nothing listens at the owner's address: it stopped, so the session is gone with it. */
  | { kind: "gone"; error: Error }
  /** The owner did not answer (timeout, reset): maybe a passing fault, the session may still be there. */
  | { kind: "failed"; error: Error }
  /** `signal` aborted first (the client went away, or this node is shutting down). */
  | { kind: "aborted" };

/**
 * Sends `request` to the same path on `nodeUrl` and streams the answer back, the notification stream (GET) and
 * a call's SSE answer included, until either end closes or `signal` aborts. The bearer token travels as it
 * came, so the owner authenticates the caller again; `Host` becomes the owner's own name for itself. Node's
 * http client rather than fetch: no header or body deadline, since an approval wait may take an hour, and
 * `Host` can be set.
 */
export function forwardToNode(
  request: Request,
  parsedBody: unknown,
  nodeUrl: string,
  signal: AbortSignal,
): Promise<Forwarded> {
  const incoming = new URL(request.url);
  const target = new URL(incoming.pathname + incoming.search, nodeUrl);
  const hop = new Set(HOP_HEADERS);
  for (const name of (request.headers.get("connection") ?? "").split(","))
    if (name.trim()) hop.add(name.trim().toLowerCase());
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => {
    if (!hop.has(name)) headers[name] = value;
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
    let settled = false;
    const settle = (result: Forwarded) => {
      clearTimeout(connectTimer);
      if (settled) return;
      settled = true;
      resolve(result);
    };
    // Until the answer ends, the abort ends the exchange with the owner; the listener goes with it.
    const onAbort = () => {
      outgoing.destroy(new Error("the forwarded request was aborted"));
      settle({ kind: "aborted" });
    };
    signal.addEventListener("abort", onAbort, { once: true });
    outgoing.once("close", () => signal.removeEventListener("abort", onAbort));

    outgoing.on("socket", (socket) => {
      if (!socket.connecting) return;
      connectTimer = setTimeout(
        () =>
          outgoing.destroy(timeoutError(`no connection to ${target.origin} within ${CONNECT_TIMEOUT_MS} ms`)),
        CONNECT_TIMEOUT_MS,
      );
      socket.once("connect", () => clearTimeout(connectTimer));
    });
    outgoing.setTimeout(IDLE_TIMEOUT_MS, () =>
      outgoing.destroy(timeoutError(`${target.origin} was silent for ${IDLE_TIMEOUT_MS} ms`)),
    );
    outgoing.on("error", (error: NodeJS.ErrnoException) => {
      if (signal.aborted) settle({ kind: "aborted" });
      else settle(OWNER_GONE.has(error.code ?? "") ? { kind: "gone", error } : { kind: "failed", error });
    });
    outgoing.on("response", (answer) => {
      // The answer's stream ends with the exchange: destroying `outgoing` (abort, idle timeout) ends it too.
      answer.once("close", () => signal.removeEventListener("abort", onAbort));
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

function timeoutError(message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code: "ETIMEDOUT" });
}

function answerHeaders(headers: IncomingHttpHeaders): Headers {
  const hop = new Set(HOP_HEADERS);
  const connection = headers.connection;
  for (const name of (typeof connection === "string" ? connection : "").split(","))
    if (name.trim()) hop.add(name.trim().toLowerCase());
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || hop.has(name)) continue;
    for (const one of Array.isArray(value) ? value : [value]) out.append(name, one);
  }
  return out;
}
