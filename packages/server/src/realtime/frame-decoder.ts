import {
  AgentboardError,
  assertSafeJson,
  LIMITS,
  PingMessageSchema,
  type ServerMessage,
} from "@agentboard/protocol";
import { type ZodType, z } from "zod";
import type { Connection } from "./connection.js";
import type { RealtimeChannel } from "./realtime-channel.js";

/** A frame that passed every check, and the channel that declared its type (none: the hub's own `ping`). */
export interface DecodedFrame {
  message: { type: string; id?: string };
  channel: RealtimeChannel | undefined;
}

/**
 * Turns text frames into checked messages, in order of cost: the rate limit (before any parsing: that is the
 * work it saves), JSON, depth and forbidden keys, then the schema of the frame's type. Anything refused is
 * answered here, so channels only see valid frames of the types they declared.
 */
export class FrameDecoder {
  /** Message type → the channel that declared it. */
  private readonly routes = new Map<string, RealtimeChannel>();
  private readonly schemas: ZodType<{ type: string }>[] = [];
  /** Every declared type in one discriminated union: one parse per frame, one error wording for all. */
  private union: ZodType<{ type: string; id?: string }> | undefined;

  add(channel: RealtimeChannel): void {
    const declared = Object.entries(channel.messages) as Array<[string, ZodType<{ type: string }>]>;
    for (const [type] of declared) {
      const owner = type === "ping" ? "the hub" : this.routes.get(type)?.name;
      if (owner) throw new Error(`realtime message type "${type}" is already handled by ${owner}`);
    }
    for (const [type, schema] of declared) {
      this.routes.set(type, channel);
      this.schemas.push(schema);
    }
    this.union = undefined;
  }

  /** The frame's message and channel, or undefined when it was refused (and already answered). */
  decode(connection: Connection, text: string): DecodedFrame | undefined {
    const admitted = connection.admit();
    if (admitted === "closed") return undefined;
    if (admitted === "refused") {
      // No parsing of refused frames; a cheap look at the head of the frame recovers the request id so a
      // refused patch still gets an answer the client can match.
      const id = /"id"\s*:\s*"([^"\\]{1,64})"/.exec(text.slice(0, 256))?.[1];
      if (id || connection.firstRefusalInWindow) {
        connection.send({ type: "error", id, error: "rate_limited", message: "too many frames; slow down" });
      }
      return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      connection.send({ type: "error", error: "invalid", message: "invalid frame: not JSON" });
      return undefined;
    }
    const raw = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
    const id = typeof raw.id === "string" ? raw.id.slice(0, 64) : undefined;
    try {
      assertSafeJson(value, LIMITS.maxJsonDepth);
    } catch (error) {
      const message = `invalid frame: ${AgentboardError.isInstance(error) ? error.message : "refused"}`;
      // The channel of the frame's type may answer in its own terms (a refused patch gets its `nack`).
      const channel = typeof raw.type === "string" ? this.routes.get(raw.type) : undefined;
      connection.send(
        channel?.refusal?.(raw, id, message) ?? { type: "error", id, error: "invalid", message },
      );
      return undefined;
    }
    const parsed = this.schema().safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? ` at ${issue.path.join(".")}` : "";
      connection.send({
        type: "error",
        id,
        error: "invalid",
        message: `invalid frame${where}: ${issue?.message}`,
      } satisfies ServerMessage);
      return undefined;
    }
    return { message: parsed.data, channel: this.routes.get(parsed.data.type) };
  }

  private schema(): ZodType<{ type: string; id?: string }> {
    // `ping` last: the hub answers it, whatever channels there are.
    this.union ??= z.discriminatedUnion("type", [...this.schemas, PingMessageSchema] as never) as ZodType<{
      type: string;
      id?: string;
    }>;
    return this.union;
  }
}
