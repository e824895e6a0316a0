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
   * Ends the answer. A reader that stops taking what is still queued (often why the run ended: too slow)
   * would hold it, and the connection, for as long as it likes: it is cut once a close grace (as a
   * WebSocket peer gets) passes without it reading anything. A slow reader that keeps reading gets it all.
   */
  end(): void {
    if (!this.writable) return;
    this.raw.end();
    let queued = this.raw.writableLength;
    let check: NodeJS.Timeout | undefined;
    const watch = () => {
      if (this.raw.writableFinished || this.raw.destroyed) return;
      check = setTimeout(() => {
        const left = this.raw.writableLength;
        if (left >= queued) this.raw.destroy();
        else {
          queued = left;
          watch();
        }
      }, CLOSE_GRACE_MS);
      check.unref();
    };
    this.raw.once("close", () => clearTimeout(check));
    watch();
  }
}
