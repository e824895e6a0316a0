/**
 * Runs tasks one at a time per key, in arrival order; different keys run concurrently. Used to serialise
 * writes to one dashboard inside a node (across nodes the store's compare-and-set decides). The map only
 * holds keys with queued work, so it does not grow with the number of documents ever touched.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with queued or running work (for tests and leak checks). */
  get size(): number {
    return this.tails.size;
  }
}
