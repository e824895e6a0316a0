import { ApprovalEventNameSchema, ApprovalSchema } from "@agentboard/protocol";
import type { z } from "zod";
import { defineTopic, workspaceEventSchema } from "../events/topics.js";

/** An approval lifecycle event (created | decided | cancelled | expired) with the full approval. */
const ApprovalBusEventSchema = workspaceEventSchema(ApprovalEventNameSchema, { approval: ApprovalSchema });
export type ApprovalBusEvent = z.infer<typeof ApprovalBusEventSchema>;

declare module "../events/topics.js" {
  interface BusTopics {
    approval: ApprovalBusEvent;
  }
}

/** Approval events are rare next to dashboard changes, so another node's frame is parsed in full. */
export const approvalTopic = defineTopic("approval", ApprovalBusEventSchema);
