import { z } from "zod";
import { RevSchema } from "./dashboards-api.js";
import { PrincipalKindSchema, UserRoleSchema } from "./identity-api.js";

/** One principal of the caller's workspace (`GET /api/members`): users with their role, and agents. */
export const MemberSchema = z.object({
  id: z.string(),
  kind: PrincipalKindSchema,
  name: z.string(),
  /** What the app shows; the name for now (agent cards may give agents a display name later). */
  displayName: z.string(),
  role: UserRoleSchema.optional(),
});
export type Member = z.infer<typeof MemberSchema>;

export const MembersResponseSchema = z.object({ items: z.array(MemberSchema) });
export type MembersResponse = z.infer<typeof MembersResponseSchema>;

/**
 * One dashboard the caller may read (`GET /api/dashboards`). `id` is what `/api/dashboards/:id/…` takes:
 * `user:<userId>` for a personal dashboard (never `me`, so the same dashboard has one id for everyone),
 * a slug for a shared one. A personal dashboard never written has rev 0 and updatedAt null.
 */
export const DashboardListItemSchema = z.object({
  id: z.string(),
  title: z.string().optional(),
  kind: z.enum(["personal", "shared"]),
  rev: RevSchema,
  updatedAt: z.string().nullable(),
});
export type DashboardListItem = z.infer<typeof DashboardListItemSchema>;

export const DashboardListResponseSchema = z.object({ items: z.array(DashboardListItemSchema) });
export type DashboardListResponse = z.infer<typeof DashboardListResponseSchema>;
