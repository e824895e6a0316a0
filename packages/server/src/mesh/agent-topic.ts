import { AgentEventNameSchema, AgentSchema } from "@agentboard/protocol";
import type { z } from "zod";
import { defineTopic, workspaceEventSchema } from "../events/topics.js";

/** A directory change of one workspace: a health change, a card edit, a registration or a removal. */
const AgentBusEventSchema = workspaceEventSchema(AgentEventNameSchema, { agent: AgentSchema });

declare module "../events/topics.js" {
  interface BusTopics {
    agent: z.infer<typeof AgentBusEventSchema>;
  }
}

/** Rare (a status flips only past the hysteresis), so another node's frame is parsed in full. */
export const agentTopic = defineTopic("agent", AgentBusEventSchema);
