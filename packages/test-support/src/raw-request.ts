import type { TestServer } from "./test-server.js";

/**
 * `TestServer.raw` for a server at `url` (one node, or the cluster's balancer): any method, headers and body,
 * the answer's body parsed as JSON when it is JSON and kept as text otherwise (e.g. /metrics).
 */
export function rawRequest(url: string): TestServer["raw"] {
  return async (method, path, init = {}) => {
    const response = await fetch(url + path, { method, headers: init.headers, body: init.body });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: the text as it came
    }
    return { status: response.status, body, headers: response.headers };
  };
}
