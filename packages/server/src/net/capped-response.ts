/**
 * A response whose body errors with `tooLarge()` once more than `maxBytes` arrive (or at once when its
 * content-length says so), so a client that reads the whole body (`json()`, `text()`) holds at most that
 * much of an outside server's answer in memory.
 */
export function cappedResponse(response: Response, maxBytes: number, tooLarge: () => Error): Response {
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (declared > maxBytes) {
    void response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!response.body) return response;
  let size = 0;
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        size += chunk.byteLength;
        if (size > maxBytes) controller.error(tooLarge());
        else controller.enqueue(chunk);
      },
    }),
  );
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
