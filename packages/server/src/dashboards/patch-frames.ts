import type { ServerMessage } from "@agentboard/protocol";
import type { DashboardChangeEvent } from "./dashboard-topics.js";

/**
 * The `patch` frame of a change, serialised and UTF-8 encoded once per dashboard alias and audience and
 * shared by every subscriber: with many subscribers, per-subscriber JSON.stringify and string encoding
 * dominated fan-out (the socket then frames the same Buffer once too: realtime/shared-text-frame.ts). The
 * origin's (clientId, mutationId) goes only to the writer's own principal (its other tabs settle an edit
 * whose ack they missed by it); other principals get an empty origin, so nobody learns a key they could
 * replay as someone else's (issue 13).
 */
export class PatchFrames {
  /** Encoded frames per change (weak: gone with the change once fan-out and buffers let go of it). */
  private readonly encoded = new WeakMap<DashboardChangeEvent, Map<string, Buffer>>();

  of(event: DashboardChangeEvent, dashboardId: string, ownPrincipal: boolean): Buffer {
    let frames = this.encoded.get(event);
    if (!frames) {
      frames = new Map();
      this.encoded.set(event, frames);
    }
    const frameKey = ownPrincipal ? `own\u0000${dashboardId}` : dashboardId;
    let frame = frames.get(frameKey);
    if (!frame) {
      const { origin } = event;
      frame = Buffer.from(
        JSON.stringify({
          type: "patch",
          dashboardId,
          rev: event.rev,
          ops: event.ops,
          origin: ownPrincipal
            ? {
                ...(origin.clientId ? { clientId: origin.clientId } : {}),
                ...(origin.mutationId ? { mutationId: origin.mutationId } : {}),
              }
            : {},
        } satisfies ServerMessage),
      );
      frames.set(frameKey, frame);
    }
    return frame;
  }
}
