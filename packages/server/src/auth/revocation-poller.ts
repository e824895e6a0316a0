import type { EventBus } from "../events/event-bus.js";
import type { IdentityStore } from "./identity-store.js";
import { revocationTopic } from "./revocation-topic.js";

/** How often the embedded server looks for revocations made by another process (well within the 1 s goal). */
export const REVOCATION_POLL_MS = 250;
/**
 * Each look re-reads this far back: another process stamps `revoked_at` before its commit becomes visible, so
 * a row may appear with a time slightly older than the previous look. Rows already announced are skipped.
 */
const LOOKBACK_MS = 5_000;

/**
 * Embedded mode: `agentboard token revoke` is another process on the same SQLite file, with no bus to the
 * server. The server therefore asks the store a few times a second which tokens were revoked recently (an
 * index seek that usually finds nothing) and announces those on its own bus, as if it had revoked them
 * itself. Its own revocations come by again here; announcing one twice is harmless (watchers fire once).
 * Cluster mode does not need this: the CLI publishes on the Redis bus every node follows.
 * Returns the function that stops polling (await it before closing the store).
 */
export function pollRevocations(options: {
  identity: IdentityStore;
  bus: EventBus;
  intervalMs?: number;
  now?: () => number;
  log: { error(details: object, message: string): void };
}): () => Promise<void> {
  options.bus.topics.register(revocationTopic);
  const now = options.now ?? Date.now;
  const intervalMs = options.intervalMs ?? REVOCATION_POLL_MS;
  /** Announced ids → their revocation time, kept while they are inside the look-back window. */
  const announced = new Map<string, number>();
  let since = now();
  let stopped = false;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const look = async () => {
    const startedAt = now();
    const from = since - LOOKBACK_MS;
    try {
      const rows = await options.identity.revokedSince(new Date(from).toISOString());
      const fresh = new Map<string, string[]>();
      for (const row of rows) {
        if (announced.has(row.id)) continue;
        announced.set(row.id, Date.parse(row.revokedAt));
        const ids = fresh.get(row.workspaceId) ?? [];
        ids.push(row.id);
        fresh.set(row.workspaceId, ids);
      }
      for (const [workspaceId, credentialIds] of fresh)
        options.bus.publish("revocation", { workspaceId, credentialIds });
      since = startedAt;
      for (const [id, at] of announced) if (at < since - LOOKBACK_MS) announced.delete(id);
    } catch (error) {
      if (!stopped) options.log.error({ err: error }, "looking for revoked tokens failed; retrying");
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = look().finally(() => {
        running = undefined;
        schedule();
      });
    }, intervalMs);
    timer.unref();
  };
  schedule();

  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
