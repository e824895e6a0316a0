import type { ServerResponse } from "node:http";
import type { BaseEvent } from "@ag-ui/core";
import { EventEncoder } from "@ag-ui/encoder";
import { CLOSE_GRACE_MS } from "../realtime/connection.js";

/** An SSE comment: clients ignore it, proxies see traffic and keep an idle-looking stream open. */
const HEARTBEAT = ": heartbeat\n\n";

/**
 * The response side of an AG-UI run: `text/event-stream`, one `data:` line per event (@ag-ui/encoder), and
 * heartbeat comments in between. Writes after the client went away are dropped.
 */
export class AguiEventStream {
  private readonly encoder = new EventEncoder();

  constructor(private readonly raw: ServerResponse) {}

  open(): void {
    this.raw.writeHead(200, {
      "content-type": this.encoder.getContentType(),
      // Proxies must neither cache, transform nor buffer a stream that may run for hours.
      "cache-control": "no-cache, no-transform",
      "x-accel-buffering": "no",
    });
    this.raw.flushHeaders();
  }

  get writable(): boolean {
    return !this.raw.destroyed && !this.raw.writableEnded;
  }

  send(event: BaseEvent): void {
    if (this.writable) this.raw.write(this.encoder.encodeSSE(event));
  }

  /** An event already encoded (shared between the runs that follow one dashboard). */
  sendEncoded(sse: string): void {
    if (this.writable) this.raw.write(sse);
  }

  heartbeat(): void {
    if (this.writable) this.raw.write(HEARTBEAT);
  }

  /** What the client has not read yet (the hub closes a connection that falls too far behind). */
  get bufferedBytes(): number {
    return this.raw.writableLength;
  }

  /**
   * Ends the answer. A reader that does not take what is still queued (often why the run ended: too slow)
   * would hold it, and the connection, for as long as it likes; it is cut after the grace a WebSocket peer
   * gets to answer a close.
   */
  end(): void {
    if (!this.writable) return;
    this.raw.end();
    if (this.raw.writableFinished) return;
    const cut = setTimeout(() => this.raw.destroy(), CLOSE_GRACE_MS);
    cut.unref();
    this.raw.once("close", () => clearTimeout(cut));
  }
}
