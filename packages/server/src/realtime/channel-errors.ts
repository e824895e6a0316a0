import { AgentboardError } from "@agentboard/protocol";
import { unavailable } from "../errors/agentboard-errors.js";
import { isStoreUnavailable } from "../errors/store-errors.js";

/**
 * What a channel may tell a client about a failure: contract errors as they are, and a store that cannot
 * answer as `unavailable` (the SDK retries those). Anything else is a bug: undefined, and the caller rethrows
 * it so the hub logs it and answers `error internal`.
 */
export function knownError(error: unknown): AgentboardError | undefined {
  if (AgentboardError.isInstance(error)) return error;
  if (isStoreUnavailable(error)) return unavailable("a backing store is not available; retry shortly");
  return undefined;
}
