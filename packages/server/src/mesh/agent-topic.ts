import { type Agent, AgentEventNameSchema, AgentSchema } from "@agentboard/protocol";
import { z } from "zod";
import { defineTopic } from "../events/topics.js";

/** A directory change of one workspace: a health change, a card edit, a registration or a removal. */
export interface AgentBusEvent {
  workspaceId: string;
  event: z.infer<typeof AgentEventNameSchema>;
  agent: Agent;
}

declare module "../events/topics.js" {
  interface BusTopics {
    agent: AgentBusEvent;
  }
}

/** Rare (a status flips only past the hysteresis), so another node's frame is parsed in full. */
export const agentTopic = defineTopic(
  "agent",
  z.object({ workspaceId: z.string(), event: AgentEventNameSchema, agent: AgentSchema }),
);
