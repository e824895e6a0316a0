import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";

/**
 * Who sweeps: one node per cluster per interval. `tryAcquire` takes the lease for `ttlMs` or says another
 * node has it. The lease is not released after a sweep on purpose: it covers the whole interval, so a node
 * whose timer fires just after another's sweep ended does not sweep a second time.
 */
export interface SweepLock {
  tryAcquire(ttlMs: number): Promise<boolean>;
}

/** Embedded mode: one process, one prober; overlapping sweeps are refused by the prober itself. */
export const inProcessSweepLock: SweepLock = { tryAcquire: async () => true };

/** Cluster mode: `SET key token NX PX ttl` on the shared Redis. */
export class RedisSweepLock implements SweepLock {
  /** This node's value under the key while it holds the lease (tells operators and tests who sweeps). */
  readonly token = randomBytes(8).toString("hex");

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  async tryAcquire(ttlMs: number): Promise<boolean> {
    return (await this.redis.set(this.key, this.token, "PX", Math.max(1, Math.round(ttlMs)), "NX")) === "OK";
  }
}
