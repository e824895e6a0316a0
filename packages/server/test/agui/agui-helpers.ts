import { randomUUID } from "node:crypto";
import type { BaseEvent } from "@ag-ui/core";
import { EventSchema } from "@ag-ui/core/schemas";

/** A RunAgentInput with nothing in it but ids (what a front-end sends before it has any state). */
export function runInput(extra: Record<string, unknown> = {}) {
  return { threadId: `thread-${randomUUID()}`, runId: `run-${randomUUID()}`, messages: [], ...extra };
}

export interface AguiStream {
  status: number;
  contentType: string | null;
  /** Every event so far, in order. */
  events: BaseEvent[];
  /** Events that do not validate against @ag-ui/core's EventSchema, with the schema's complaint. */
  invalid: Array<{ event: unknown; issues: string }>;
  /** SSE comment lines seen (heartbeats). */
  comments: number;
  /** The first event (from `from` on) matching `predicate`; rejects after `timeoutMs` or if the stream ends. */
  next(predicate: (event: BaseEvent) => boolean, timeoutMs?: number, from?: number): Promise<BaseEvent>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  /** Goes away mid-run, as a closed browser tab would. */
  close(): void;
  /** The body of a non-stream answer (a 4xx), parsed. */
  body?: unknown;
}

/**
 * POSTs a RunAgentInput and reads the SSE answer as it comes: `data:` lines are parsed and checked against
 * @ag-ui/core's event schema, comment lines counted.
 */
export async function openAgui(
  baseUrl: string,
  dashboardId: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<AguiStream> {
  const abort = new AbortController();
  const response = await fetch(`${baseUrl}/api/agui/${encodeURIComponent(dashboardId)}`, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
    signal: abort.signal,
  });
  const waiters = new Set<() => void>();
  const stream: AguiStream = {
    status: response.status,
    contentType: response.headers.get("content-type"),
    events: [],
    invalid: [],
    comments: 0,
    ended: Promise.resolve(),
    close: () => abort.abort(),
    next(predicate, timeoutMs = 10_000, from = 0) {
      return new Promise((resolve, reject) => {
        let finished = false;
        const check = () => {
          const found = stream.events.slice(from).find(predicate);
          if (found) done(() => resolve(found));
          else if (finished) done(() => reject(new Error("the stream ended without that event")));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`no such event within ${timeoutMs} ms: ${types(stream)}`))),
          timeoutMs,
        );
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        void stream.ended.then(() => {
          finished = true;
          check();
        });
        waiters.add(check);
        check();
      });
    },
  };
  if (!response.ok || !response.body) {
    const text = await response.text();
    stream.body = text ? JSON.parse(text) : undefined;
    return stream;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  stream.ended = (async () => {
    let buffer = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end = buffer.indexOf("\n\n");
        while (end !== -1) {
          onBlock(stream, buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf("\n\n");
        }
        for (const waiter of [...waiters]) waiter();
      }
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    }
  })();
  return stream;
}

function onBlock(stream: AguiStream, block: string): void {
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) stream.comments++;
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  if (data.length === 0) return;
  const event = JSON.parse(data.join("\n")) as BaseEvent;
  const checked = EventSchema.safeParse(event);
  if (!checked.success) stream.invalid.push({ event, issues: checked.error.message });
  stream.events.push(event);
}

function types(stream: AguiStream): string {
  return stream.events.map((event) => event.type).join(", ") || "(none)";
}

export const ofType =
  (type: string) =>
  (event: BaseEvent): boolean =>
    event.type === type;
