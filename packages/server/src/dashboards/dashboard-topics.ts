import type { JsonPatchOp } from "@agentboard/protocol";
import { z } from "zod";
import { defineTopic } from "../events/topics.js";
import type { ChangeOrigin, DashboardKey } from "./dashboard-store.js";

/** A committed dashboard change, as fanned out to subscribers (on this node and, in cluster mode, others). */
export interface DashboardChangeEvent {
  key: DashboardKey;
  rev: number;
  ops: JsonPatchOp[];
  origin: ChangeOrigin;
  /**
   * Ops from this index on were added by the server (widget attribution, see widget-attribution.ts): the
   * writer's ack carries them, so its replica ends up with the committed state. Absent: none were added.
   */
  serverOpsFrom?: number;
}

/** Ask the principal that wrote a widget (`<kind>:<id>`) to republish it. */
export interface RefreshRequestEvent {
  key: DashboardKey;
  widgetId: string;
  principal: string;
}

declare module "../events/topics.js" {
  interface BusTopics {
    dashboard: DashboardChangeEvent;
    refresh: RefreshRequestEvent;
  }
}

const DashboardKeySchema = z.object({ workspaceId: z.string(), dashboardId: z.string() });

/**
 * The envelope of a change from another node, not its ops: this is the hottest topic (every commit of every
 * node reaches every node), and each op was validated by the node that committed it (path allow-list,
 * limits, the resulting state against the schema) before it reached Redis. Checking the envelope keeps a
 * malformed or foreign frame from reaching the subscriptions (wrong key, no rev, ops not a list), and the
 * realtime channel's rev-order check closes any gap from the patch log; re-parsing every op would repeat
 * the committing node's work on every node.
 */
const DashboardChangeEnvelopeSchema = z.object({
  key: DashboardKeySchema,
  rev: z.number().int().positive(),
  ops: z.array(z.custom<JsonPatchOp>((op) => typeof op === "object" && op !== null)),
  // Only what leaves the committing node (see toWire): the connection and request stay there.
  origin: z.object({
    principal: z.string(),
    clientId: z.string().optional(),
    mutationId: z.string().optional(),
  }),
  serverOpsFrom: z.number().int().nonnegative().optional(),
});

export const dashboardTopic = defineTopic("dashboard", DashboardChangeEnvelopeSchema, {
  // The connection and request that wrote a change exist only on this node; other nodes get the rest.
  toWire: ({ origin, ...rest }) => {
    const { connectionId: _connection, requestId: _request, ...kept } = origin;
    return { ...rest, origin: kept };
  },
});

export const refreshTopic = defineTopic(
  "refresh",
  z.object({ key: DashboardKeySchema, widgetId: z.string(), principal: z.string() }),
);
