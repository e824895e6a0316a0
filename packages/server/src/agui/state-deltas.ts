import { EventType, type StateDeltaEvent } from "@ag-ui/core";
import { EventEncoder } from "@ag-ui/encoder";
import type { JsonPatchOp, ServerMessage } from "@agentboard/protocol";

const encoder = new EventEncoder();

/**
 * A committed change as a STATE_DELTA: its ops between a test of the rev they apply to and the new rev, so
 * applied to any other state (a client that edited its copy, or missed a delta) the delta fails as a whole
 * instead of half-applying.
 */
export function stateDeltaOf(rev: number, ops: readonly JsonPatchOp[]): StateDeltaEvent {
  return {
    type: EventType.STATE_DELTA,
    delta: [
      { op: "test", path: "/rev", value: rev - 1 },
      ...ops,
      { op: "replace", path: "/rev", value: rev },
    ],
  };
}

/** SSE text of the STATE_DELTA of each shared `patch` frame (weak: gone with the frame). */
const encoded = new WeakMap<Buffer, { rev: number; sse: string }>();

/**
 * The dashboard channel hands every follower of a document the same Buffer for a change
 * (dashboards/patch-frames.ts), so the runs following it parse and encode the change once between them.
 * Undefined for a frame that is not a `patch`.
 */
export function sharedStateDelta(frame: Buffer): { rev: number; sse: string } | undefined {
  let delta = encoded.get(frame);
  if (!delta) {
    const message = JSON.parse(frame.toString("utf8")) as ServerMessage;
    if (message.type !== "patch") return undefined;
    delta = { rev: message.rev, sse: encoder.encodeSSE(stateDeltaOf(message.rev, message.ops)) };
    encoded.set(frame, delta);
  }
  return delta;
}
