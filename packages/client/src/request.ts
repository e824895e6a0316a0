import { ApiRequestError, ConnectionError } from "./errors.js";

export interface RequestOptions {
  signal?: AbortSignal;
  /** Overrides the client's per-request timeout (long-polls need longer than the default). */
  timeoutMs?: number;
}

/** One JSON request to the server: the answer's body, or ApiRequestError / ConnectionError. */
export type RequestFunction = <T>(
  method: string,
  path: string,
  body?: unknown,
  options?: RequestOptions,
) => Promise<T>;

export interface RequestSettings {
  /** Base URL without a trailing slash. */
  baseUrl: string;
  token: string | undefined;
  fetch: typeof fetch;
  /** Per-request timeout unless a request says otherwise. */
  timeoutMs: number;
}

/** The REST transport every part of the SDK shares (bearer token or, in browsers, the session cookie). */
export function createRequest(settings: RequestSettings): RequestFunction {
  return async function request<T>(
    method: string,
    path: string,
    body?: unknown,
    options: RequestOptions = {},
  ): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (settings.token) headers.authorization = `Bearer ${settings.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const timeout = AbortSignal.timeout(options.timeoutMs ?? settings.timeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await settings.fetch(settings.baseUrl + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
        credentials: "same-origin",
      });
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason ?? error;
      throw new ConnectionError(
        `${method} ${path} failed: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) throw ApiRequestError.fromWire(response.status, parsed);
    return parsed as T;
  };
}
