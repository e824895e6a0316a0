import { z } from "zod";

export const UserRoleSchema = z.enum(["owner", "admin", "member", "viewer"]);
export type UserRole = z.infer<typeof UserRoleSchema>;
export const PrincipalKindSchema = z.enum(["user", "agent"]);
export type PrincipalKind = z.infer<typeof PrincipalKindSchema>;

export const WorkspaceNameSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "a slug of a-z, 0-9 and -");

export const MeResponseSchema = z.object({
  principal: z.object({
    kind: PrincipalKindSchema,
    id: z.string(),
    name: z.string(),
    role: UserRoleSchema.optional(),
  }),
  workspace: z.object({ id: z.string(), name: z.string() }),
});
export type MeResponse = z.infer<typeof MeResponseSchema>;

/** `POST /api/auth/session`: a token or a one-time login code. */
export const SessionBodySchema = z.union([
  z.strictObject({ token: z.string().min(1).max(256) }),
  z.strictObject({ code: z.string().min(1).max(256) }),
]);

export const HealthComponentSchema = z.object({
  status: z.enum(["ok", "degraded", "down"]),
  latencyMs: z.number().optional(),
  error: z.string().optional(),
});
export const ReadyResponseSchema = z.object({
  status: z.enum(["ok", "unavailable"]),
  components: z.record(z.string(), HealthComponentSchema),
});
