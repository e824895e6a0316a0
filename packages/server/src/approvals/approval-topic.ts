import {
  type Approval,
  type ApprovalEventName,
  ApprovalEventNameSchema,
  ApprovalSchema,
} from "@agentboard/protocol";
import { z } from "zod";
import { defineTopic } from "../events/topics.js";

/** An approval lifecycle event (created | decided | cancelled | expired) with the full approval. */
export interface ApprovalBusEvent {
  workspaceId: string;
  event: ApprovalEventName;
  approval: Approval;
}

declare module "../events/topics.js" {
  interface BusTopics {
    approval: ApprovalBusEvent;
  }
}

/** Approval events are rare next to dashboard changes, so another node's frame is parsed in full. */
export const approvalTopic = defineTopic(
  "approval",
  z.object({ workspaceId: z.string(), event: ApprovalEventNameSchema, approval: ApprovalSchema }),
);
