import { z } from "zod";
import { LIMITS } from "../limits.js";

const PointerSchema = z.string().max(1024);

/** RFC 6902 operations. `value` is any JSON; the resulting document is validated after applying. */
export const JsonPatchOpSchema = z.discriminatedUnion("op", [
  z.strictObject({ op: z.literal("add"), path: PointerSchema, value: z.unknown() }),
  z.strictObject({ op: z.literal("remove"), path: PointerSchema }),
  z.strictObject({ op: z.literal("replace"), path: PointerSchema, value: z.unknown() }),
  z.strictObject({ op: z.literal("move"), from: PointerSchema, path: PointerSchema }),
  z.strictObject({ op: z.literal("copy"), from: PointerSchema, path: PointerSchema }),
  z.strictObject({ op: z.literal("test"), path: PointerSchema, value: z.unknown() }),
]);
export type JsonPatchOp = z.infer<typeof JsonPatchOpSchema>;

export const JsonPatchSchema = z.array(JsonPatchOpSchema).min(1).max(LIMITS.maxPatchOps);
export type JsonPatch = z.infer<typeof JsonPatchSchema>;
