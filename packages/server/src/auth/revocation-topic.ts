import { type UserRole, UserRoleSchema } from "@agentboard/protocol";
import { z } from "zod";
import { defineTopic } from "../events/topics.js";

/**
 * Credentials or a principal stopped being good for what is open: tokens or sessions revoked
 * (`credentialIds`), or a principal removed or its role changed (`principalId`). Every node closes the
 * sockets they authenticated (4401) and ends their approval long-polls.
 */
export interface RevocationEvent {
  workspaceId: string;
  credentialIds?: string[];
  principalId?: string;
  /** With `principalId`: its role changed to this one (absent: the principal was removed). */
  role?: UserRole;
}

declare module "../events/topics.js" {
  interface BusTopics {
    revocation: RevocationEvent;
  }
}

export const revocationTopic = defineTopic(
  "revocation",
  z.object({
    workspaceId: z.string(),
    credentialIds: z.array(z.string()).optional(),
    principalId: z.string().optional(),
    role: UserRoleSchema.optional(),
  }),
);
