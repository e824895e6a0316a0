import { z } from "zod";
import { IdSchema } from "../dashboard/primitives.js";
import { answerFrame, requestFrame } from "../realtime/frames.js";

/**
 * The agent directory (contract.md "Agents (A2A)"): one card per agent, local (an agent principal of the
 * workspace, connecting with a token) or remote (an A2A agent registered by its card URL). The directory is
 * the one place names come from: the app shows `displayName`, ids stay stable underneath.
 */
export const AgentKindSchema = z.enum(["local", "a2a"]);
export type AgentKind = z.infer<typeof AgentKindSchema>;

export const AgentStatusSchema = z.enum(["healthy", "degraded", "unhealthy", "unknown"]);
export type AgentStatus = z.infer<typeof AgentStatusSchema>;

export const AgentSkillSummarySchema = z.object({ id: z.string(), name: z.string() });

const DisplayNameSchema = z.string().trim().min(1).max(120);
const IconUrlSchema = z.url({ protocol: /^https?$/ }).max(2048);
const AgentRoleSchema = z.string().trim().min(1).max(80);
const AliasSchema = z.string().trim().min(1).max(80);

export const AgentSchema = z.object({
  id: z.string(),
  kind: AgentKindSchema,
  /** The principal's name (local) or the card's name (a2a); what registered it, never edited. */
  name: z.string(),
  displayName: z.string(),
  description: z.string().optional(),
  iconUrl: z.string().optional(),
  role: z.string().optional(),
  aliases: z.array(z.string()).optional(),
  skills: z.array(AgentSkillSummarySchema),
  status: AgentStatusSchema,
  /** Remote agents: smoothed (EWMA) latency of the health probe. */
  latencyMs: z.number().nonnegative().optional(),
  /** When the status was last established (a probe, or the local agent's last activity). */
  checkedAt: z.string().optional(),
  /** Remote agents: where their card was fetched from. */
  cardUrl: z.string().optional(),
});
export type Agent = z.infer<typeof AgentSchema>;

export const AgentListResponseSchema = z.object({ items: z.array(AgentSchema) });
export type AgentListResponse = z.infer<typeof AgentListResponseSchema>;

export const AgentParamsSchema = z.object({ id: IdSchema });

export const AgentRegisterBodySchema = z.strictObject({
  cardUrl: z.url({ protocol: /^https?$/ }).max(2048),
});
export type AgentRegisterBody = z.infer<typeof AgentRegisterBodySchema>;

/** What admins edit on a card; `null` clears a field (back to the card's or the principal's own). */
export const AgentPatchBodySchema = z
  .strictObject({
    displayName: DisplayNameSchema.nullable().optional(),
    iconUrl: IconUrlSchema.nullable().optional(),
    role: AgentRoleSchema.nullable().optional(),
    aliases: z.array(AliasSchema).max(20).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, "nothing to change");
export type AgentPatchBody = z.infer<typeof AgentPatchBodySchema>;

// --- A2A agent cards: our own schemas (the SDK's AgentCard.fromJSON fills defaults and checks nothing) ---

const CardText = z.string().max(4096);
const CardUrl = z.url({ protocol: /^https?$/ }).max(2048);

const A2aSkillSchema = z.looseObject({
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  description: CardText,
  // Required by the spec, but proto JSON (the SDK's toJSON) leaves empty repeated fields out.
  tags: z.array(z.string().max(200)).max(100).optional(),
  examples: z.array(CardText).max(100).optional(),
  inputModes: z.array(z.string().max(200)).max(50).optional(),
  outputModes: z.array(z.string().max(200)).max(50).optional(),
});

/** A2A 1.0 `AgentInterface`: one endpoint of the agent, per binding and protocol version. */
export const A2aAgentInterfaceSchema = z.looseObject({
  url: CardUrl,
  protocolBinding: z.string().min(1).max(100),
  protocolVersion: z.string().min(1).max(20),
  tenant: z.string().max(200).optional(),
});

/** A2A 1.0 `AgentCard` (the fields we rely on; unknown ones pass through). */
export const A2aAgentCardSchema = z.looseObject({
  name: z.string().min(1).max(200),
  description: CardText,
  version: z.string().min(1).max(100),
  supportedInterfaces: z.array(A2aAgentInterfaceSchema).min(1).max(50),
  provider: z.looseObject({ organization: z.string().max(200), url: CardUrl }).optional(),
  documentationUrl: CardUrl.optional(),
  iconUrl: CardUrl.optional(),
  capabilities: z
    .looseObject({ streaming: z.boolean().optional(), pushNotifications: z.boolean().optional() })
    .optional(),
  defaultInputModes: z.array(z.string().max(200)).max(50).optional(),
  defaultOutputModes: z.array(z.string().max(200)).max(50).optional(),
  skills: z.array(A2aSkillSchema).max(200).optional().default([]),
});
export type A2aAgentCard = z.infer<typeof A2aAgentCardSchema>;

/** A2A 0.3 `AgentCard`: one `url` (+ `preferredTransport`) instead of `supportedInterfaces`. */
export const A2aLegacyAgentCardSchema = z.looseObject({
  name: z.string().min(1).max(200),
  description: CardText,
  version: z.string().min(1).max(100),
  url: CardUrl,
  protocolVersion: z.string().max(20).optional(),
  preferredTransport: z.string().max(100).optional(),
  iconUrl: CardUrl.optional(),
  defaultInputModes: z.array(z.string().max(200)).max(50).optional(),
  defaultOutputModes: z.array(z.string().max(200)).max(50).optional(),
  skills: z.array(A2aSkillSchema).max(200).optional().default([]),
});

// --- realtime: `subscribe_agents` ---

/** The directory live (the Health page): answered `subscribed_agents`, then `agent` frames. */
export const SubscribeAgentsMessageSchema = requestFrame("subscribe_agents");
/** Every agent of the caller's workspace as it is now; `agent` frames follow from here on. */
export const SubscribedAgentsMessageSchema = answerFrame("subscribed_agents", {
  agents: z.array(AgentSchema),
});
export const AgentEventNameSchema = z.enum(["status", "registered", "removed", "updated"]);
/** One agent changed: its health (`status`), a card edit (`updated`), or it came or went. */
export const AgentEventMessageSchema = z.object({
  type: z.literal("agent"),
  event: AgentEventNameSchema,
  agent: AgentSchema,
});
