/** Where and as whom a CLI command talks to a running server (`agentboard mcp list`, `agentboard agent …`). */
export interface ServerTarget {
  url: string;
  token: string;
}

/**
 * One request to a running server's /api as the CLI makes it: bearer token, JSON body, a timeout that only
 * guards against a hung server. A non-2xx answer throws with the server's own message; the body text is
 * returned for the command to parse with the protocol's schema.
 */
export async function callServer(
  target: ServerTarget,
  method: "GET" | "POST" | "PATCH" | "DELETE",
  path: string,
  options: { body?: unknown; timeoutMs: number },
): Promise<string> {
  const { body, timeoutMs } = options;
  const response = await fetch(new URL(path, target.url), {
    method,
    headers: {
      authorization: `Bearer ${target.token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      // not JSON: show it as it came
    }
    throw new Error(`${method} ${path} answered ${response.status}: ${message}`);
  }
  return text;
}
