import { type JsonPatchOp, JsonPatchOpSchema } from "@agentboard/protocol";
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
 * A change from another node, ops included. This is the hottest topic (every commit of every node reaches
 * every node), but an op's schema is its shape (op, path, from) with `value` left as any JSON, so checking
 * a frame's ops costs a microsecond or two, less than the JSON.parse of the frame that the bus pays anyway;
 * the values themselves were validated by the committing node, against the resulting document.
 */
const DashboardChangeEventSchema = z.object({
  key: DashboardKeySchema,
  rev: z.number().int().positive(),
  ops: z.array(JsonPatchOpSchema),
  // Only what leaves the committing node (see toWire): the connection and request stay there.
  origin: z.object({
    principal: z.string(),
    clientId: z.string().optional(),
    mutationId: z.string().optional(),
  }),
  serverOpsFrom: z.number().int().nonnegative().optional(),
});

export const dashboardTopic = defineTopic("dashboard", DashboardChangeEventSchema, {
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
