/** Answers the `/mcp` route builds itself, beside what the SDK's transports write. */

export function jsonRpcError(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: "2.0", error: { code, message }, id: null }, { status });
}

/**
 * The response with its body cut when `signal` aborts (a revoked credential ends an open stream), and
 * `done` called once the body ended either way.
 */
export function endWhen(response: Response, signal: AbortSignal, done: () => void): Response {
  if (!response.body) {
    done();
    return response;
  }
  const reader = response.body.getReader();
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    signal.removeEventListener("abort", onAbort);
    done();
  };
  let cut: (() => void) | undefined;
  const onAbort = () => cut?.();
  signal.addEventListener("abort", onAbort, { once: true });
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      cut = () => {
        reader.cancel(signal.reason).catch(() => {});
        try {
          controller.close();
        } catch {
          // already closed
        }
        finish();
      };
      if (signal.aborted) cut();
    },
    async pull(controller) {
      try {
        const { done: ended, value } = await reader.read();
        if (ended) {
          controller.close();
          finish();
        } else controller.enqueue(value);
      } catch (error) {
        controller.error(error);
        finish();
      }
    },
    cancel(reason) {
      finish();
      return reader.cancel(reason);
    },
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
