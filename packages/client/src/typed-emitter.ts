type Listener<A extends unknown[]> = (...args: A) => void;

/** Event name → the parameter list of its listeners. */
type EventArgs<M> = { [K in keyof M]: unknown[] };

/**
 * A small typed event emitter. A listener that throws stops neither the other listeners nor the caller's
 * work; its error goes to `onListenerError`.
 */
export class TypedEmitter<M extends EventArgs<M>> {
  private readonly listeners = new Map<keyof M, Set<unknown>>();

  constructor(private readonly onListenerError: (error: unknown, event: keyof M) => void) {}

  /**
   * An emitter whose throwing listeners are reported as its own `error` event; an `error` listener that
   * throws has nowhere else to report to, so its error surfaces like any uncaught one.
   */
  static reportingToErrorEvent<M extends EventArgs<M> & { error: [error: Error] }>(): TypedEmitter<M> {
    const emitter: TypedEmitter<M> = new TypedEmitter<M>((error, event) => {
      if (event === "error") {
        queueMicrotask(() => {
          throw error;
        });
        return;
      }
      emitter.emit("error", ...([error instanceof Error ? error : new Error(String(error))] as M["error"]));
    });
    return emitter;
  }

  on<K extends keyof M>(event: K, listener: Listener<M[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    // A wrapper makes each registration distinct, so registering one function twice needs two unsubscribes.
    const entry: Listener<M[K]> = (...args) => listener(...args);
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  emit<K extends keyof M>(event: K, ...args: M[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<M[K]>)(...args);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }

  listenerCount(event?: keyof M): number {
    if (event !== undefined) return this.listeners.get(event)?.size ?? 0;
    let count = 0;
    for (const set of this.listeners.values()) count += set.size;
    return count;
  }

  clear(): void {
    this.listeners.clear();
  }
}
